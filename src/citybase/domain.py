"""One declarative shape for a domain's plug-in.

Every domain registers the same things: its models, its routers, a CLI sub-app, a template
directory and its translations. ``DomainPlugin`` produces those hookimpls from a few names,
importing nothing until a hook is called (the CLI's start-up time depends on it)::

    # src/citybase/geo/plugin.py
    domain = DomainPlugin(
        name="geo",
        models="citybase.geo.models",
        routers=["citybase.geo.router:router", "citybase.geo.pages:router"],
        cli="citybase.geo.cli:app",
        templates=True,
        translations="locales/{locale}.yaml",
    )

Domain-specific hooks (home-page modules, demo steps, live indicators, read scope …) stay
ordinary ``@hookimpl`` functions in the same module. The plug-in manager registers a
built-in ``plugin.py`` module and, beside it, the module's ``domain`` attribute when it is a
``DomainPlugin``; a third-party package points its ``citybase`` entry point at the
``DomainPlugin`` object itself (or at a module holding one as ``domain``). See docs/plugins.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citybase.hookspecs import hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

DEFAULT_TRANSLATIONS = "data/messages.{locale}.yaml"


def import_object(ref: str) -> Any:
    """``"package.module:attr"`` → the attribute; ``"package.module"`` → the module."""
    module_name, _, attr = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


@dataclass(eq=False)  # identity-hashed: pluggy keeps plug-ins in sets
class DomainPlugin:
    """The generic hooks of one domain, declared by name and imported lazily.

    - ``name``: the domain's key; also the CLI sub-command unless ``cli_name`` is given.
    - ``package``: the domain's Python package (default ``citybase.<name>``); templates and
      translation files are found relative to its directory.
    - ``models``: module imported by ``citybase_load_models``.
    - ``routers``: ``"module:attr"`` references of FastAPI routers, mounted in this order.
    - ``cli``: ``"module:attr"`` of a Typer app added as ``citybase <cli_name>``.
    - ``commands``: ``{"name": "module:attr"}`` of functions added as top-level commands
      ``citybase <name>`` (e.g. ``citybase worker``).
    - ``templates``: ``True`` for ``<package>/templates``, or a path relative to the package.
    - ``translations``: ``True`` for ``data/messages.{locale}.yaml``, or another pattern
      relative to the package containing ``{locale}``.
    """

    name: str
    package: str = ""
    models: str | None = None
    routers: Sequence[str] = ()
    cli: str | None = None
    cli_name: str | None = None
    commands: Mapping[str, str] = field(default_factory=dict)
    templates: bool | str = False
    translations: bool | str = False
    _hooks: dict[str, Callable[..., Any]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.package:
            self.package = f"citybase.{self.name}"
        # pluggy finds hookimpls by attribute name and calls them by parameter name, so each
        # declared hook is a plain function of the hookspec's signature; undeclared ones
        # do not exist on the object at all.
        hooks: list[Callable[..., Any]] = []
        if self.models:

            def citybase_load_models() -> None:
                self._load_models()

            hooks.append(citybase_load_models)
        if self.routers:

            def citybase_routers() -> list[APIRouter]:
                return self._routers()

            hooks.append(citybase_routers)
        if self.cli or self.commands:

            def citybase_cli(app: typer.Typer) -> None:
                self._cli(app)

            hooks.append(citybase_cli)
        if self.templates:

            def citybase_template_dirs() -> list[Path]:
                return self._template_dirs()

            hooks.append(citybase_template_dirs)
        if self.translations:

            def citybase_translations(locale: str) -> dict[str, str]:
                return self._translations(locale)

            hooks.append(citybase_translations)
        for impl in hooks:
            self._hooks[impl.__name__] = hookimpl(impl)
            setattr(self, impl.__name__, impl)

    @property
    def hook_names(self) -> list[str]:
        """The hooks this declaration implements, e.g. for a test or ``citybase plugins``."""
        return sorted(self._hooks)

    def package_dir(self) -> Path:
        module = importlib.import_module(self.package)
        assert module.__file__ is not None, f"{self.package} is a namespace package"
        return Path(module.__file__).parent

    # The hook bodies.

    def _load_models(self) -> None:
        assert self.models is not None
        importlib.import_module(self.models)

    def _routers(self) -> list[APIRouter]:
        return [import_object(ref) for ref in self.routers]

    def _cli(self, app: typer.Typer) -> None:
        if self.cli is not None:
            app.add_typer(import_object(self.cli), name=self.cli_name or self.name)
        for name, ref in self.commands.items():
            app.command(name)(import_object(ref))

    def _template_dirs(self) -> list[Path]:
        relative = "templates" if self.templates is True else str(self.templates)
        return [self.package_dir() / relative]

    def _translations(self, locale: str) -> dict[str, str]:
        from citybase.web.i18n import load_messages

        pattern = DEFAULT_TRANSLATIONS if self.translations is True else str(self.translations)
        return load_messages(self.package_dir() / pattern.format(locale=locale))
