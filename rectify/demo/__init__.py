"""Demo data: the small demo set (load) and large generated sets for trials and benchmarks (generate)."""


def init_app(app):
    from rectify.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
