"""Thin edges: the ARQ worker, the CLI, replay. They translate and delegate."""
