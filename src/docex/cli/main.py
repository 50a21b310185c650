"""The ``docex`` Typer application; each command group lives in its own module."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

from docex import __version__
from docex.cli.exit_codes import ExitCode
from docex.cli.help import readable_help, readable_params

COMMANDS: dict[str, tuple[str, str]] = {
    "verify": ("docex.cli.verify", "verify_command"),
    "serve": ("docex.cli.serve", "serve"),
    "demo-seed": ("docex.cli.demo", "demo_seed"),
    "dev-pki": ("docex.cli.devpki", "dev_pki"),
    "facility": ("docex.cli.facility", "app"),
    "employee": ("docex.cli.employee", "app"),
    "token": ("docex.cli.token", "app"),
    "db": ("docex.cli.db", "app"),
    "sign": ("docex.cli.sign", "app"),
    "storage": ("docex.cli.storage", "app"),
    "referrals": ("docex.cli.referrals", "app"),
    "webhooks": ("docex.cli.webhooks", "app"),
    "audit": ("docex.cli.audit", "app"),
}
"""Every command and command group: its name, module and the function or ``typer.Typer``
there, in the order ``docex --help`` lists them."""

# Click's UsageError, the base of every parse error. Typer vendors Click in recent
# releases and used it directly before; BadParameter derives from UsageError in both.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]


class _LazyCommands(MutableMapping[str, Any]):
    """The root's commands by name, each imported and built the first time it is read.

    Iterating gives every name of :data:`COMMANDS` (Typer's suggestions for a mistyped
    command read them) without building one.
    """

    def __init__(self, build: Callable[[str], Any]) -> None:
        self._build = build
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            self._built[name] = self._build(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._built if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(1 for name in self._built if name not in COMMANDS)


class _DocexGroup(TyperGroup):
    """The root group: usage errors exit with ``ExitCode.USAGE``; commands load lazily.

    Click exits 2 on a usage error, which for ``docex verify`` means INDETERMINATE; a
    script must not mistake a typo for a verdict.

    Typer builds a group's whole command tree before it parses anything (every command's
    parameters, from its annotations), and the modules of every command would be imported
    for it. Here only the command that runs is imported and built (issue 12: a one-file
    ``docex verify`` must start fast); ``docex --help`` builds them all to list them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._label_context: Any = None
        self.commands = _LazyCommands(self._labelled_command)

    def list_commands(self, ctx: Any) -> list[str]:
        # Names only: TyperGroup's own reads every command to list their names.
        return list(self.commands)

    def _labelled_command(self, name: str) -> Any:
        command = _build_command(name)
        # The labels need the root context (its help option names); a tree walked
        # before a command line was parsed (a test listing the commands) has none yet.
        readable_help(command, self._label_context or self.context_class(self))
        return command

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        # Before parsing: --help is printed while the arguments are parsed.
        self._label_context = self.context_class(self, info_name=info_name, parent=parent)
        readable_params(self, self._label_context)
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except _UsageError as exc:
            _set_usage_status(exc)
            raise
        return ctx

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _UsageError as exc:
            _set_usage_status(exc)
            raise


def _set_usage_status(exc: Exception) -> None:
    # exit_code is a class attribute of Click's exceptions; shadow it on this instance.
    vars(exc)["exit_code"] = int(ExitCode.USAGE)


app = typer.Typer(
    name="docex",
    cls=_DocexGroup,
    help="Qualified-signature gate and document exchange.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"docex {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """docex: verify qualified electronic signatures and exchange signed documents."""


def _build_command(name: str) -> Any:
    """The Click command Typer would have built for ``name`` inside this app."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    # A holder app with a callback, as the root has one, so that Typer builds a group and
    # the command inside it exactly as it would as one of the root's own.
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    holder.callback()(_holder_callback)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    group: Any = typer.main.get_command(holder)
    return group.commands[name]


def _holder_callback() -> None:
    """Never runs: only the command inside the holder is used."""


def run() -> None:
    """Console-script entry point."""
    app()
