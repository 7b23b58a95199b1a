"""A tool's argument model, built once per tool function instead of at every tool call.

livekit-agents 1.8 turns a tool's signature into a pydantic model, and that model into a JSON schema,
each time the model calls the tool (`validated_arguments`) and each time it describes the tools to a
Realtime session (`build_strict_openai_schema`): about 1.2 ms of CPU a tool call, on the reply's path,
and a tenth of a simulated call's CPU. Both depend only on the decorated function (its name, docstring,
parameters and annotations) and on whether it is bound to an agent (the bound tool's signature drops
`self`), so they are kept by that pair.

`install()` puts `arguments_model` in the library's place; the library's own builder still makes every
model, once. A schema is handed out as a copy: the library edits the one it gets (strict mode).
"""
from __future__ import annotations

import copy
import threading
from typing import Any, Callable

from livekit.agents.llm import utils as livekit_utils
from pydantic import BaseModel

build_model: Callable[[Callable[..., Any]], type[BaseModel]] = livekit_utils.function_arguments_to_pydantic_model
_MODELS: dict[tuple[Callable[..., Any], bool], type[BaseModel]] = {}
_LOCK = threading.Lock()


def arguments_model(func: Callable[..., Any]) -> type[BaseModel]:
    """The library's `function_arguments_to_pydantic_model`, kept per tool function (and bound or not).

    Anything that is not a livekit tool (no decorated function inside) is built each time, as before."""
    inner = getattr(func, "_func", None)
    if inner is None:
        return build_model(func)
    key = (inner, getattr(func, "_instance", None) is not None)
    model = _MODELS.get(key)
    if model is None:
        with _LOCK:
            model = _MODELS.get(key)
            if model is None:
                model = _MODELS[key] = _with_kept_schema(build_model(func))
    return model


def _with_kept_schema(model: type[BaseModel]) -> type[BaseModel]:
    """`model.model_json_schema()` (no arguments, as the library asks for it) worked out once; asked with
    arguments, it is worked out as pydantic does."""
    made = model.model_json_schema
    schema = made()

    def model_json_schema(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return made(*args, **kwargs) if args or kwargs else copy.deepcopy(schema)

    model.model_json_schema = model_json_schema  # type: ignore[method-assign]
    return model


def install() -> None:
    """Make livekit-agents use `arguments_model` (idempotent)."""
    livekit_utils.function_arguments_to_pydantic_model = arguments_model
