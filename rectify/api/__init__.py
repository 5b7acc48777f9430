"""The JSON API (/api/v1) for other systems: token authentication (base), the routes, each calling
the same operations as the pages (views), and its OpenAPI description (openapi)."""


def init_app(app):
    from rectify.api import views  # its routes register on the blueprint

    app.register_blueprint(views.bp)
