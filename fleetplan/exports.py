"""Public names a package exports without importing their modules until first use (PEP 562)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: dict[str, Any], exports: Mapping[str, tuple[str, ...]]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for a package exporting ``exports`` (module → names).

    Parameters
    ----------
    package
        The package's ``globals()``: a name, once loaded, is stored there, so the next look-up is a
        plain attribute.
    exports
        Module path → the public names it defines.
    """
    module_of = {name: module for module, names in exports.items() for name in names}
    names = sorted(module_of)

    def getattr_(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package['__name__']!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        package[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(package) | set(names))

    return names, getattr_, dir_
