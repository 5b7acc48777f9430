"""Command groups loaded when they are used, so that every ``flask`` command starts quickly."""
import click


class LazyGroup(click.Group):
    """Stands in ``app.cli`` for the group ``load()`` returns, which is only imported when the
    group is run, completed or its help shown; ``flask --help`` lists it by ``help`` alone."""

    def __init__(self, name: str, load, help: str):
        super().__init__(name, help=help)
        self._load = load
        self._target = None

    def target(self) -> click.Command:
        if self._target is None:
            self._target = self._load()
        return self._target

    def make_context(self, info_name, args, parent=None, **extra):
        return self.target().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        return self.target().invoke(ctx)

    def get_command(self, ctx, name):
        return self.target().get_command(ctx, name)

    def list_commands(self, ctx):
        return self.target().list_commands(ctx)
