"""Ports: what the use cases need from the outside world, as typing.Protocol classes.

Each module holds one role; adapters live in infrastructure/, fakes in tests/fakes/.
"""
