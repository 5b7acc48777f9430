"""Plans (整改方案): units draft the measures of problems listed without measures, supervisors
approve or return them; units propose changes to live plans the same way."""


def init_app(app):
    from rectify.plans import views

    app.register_blueprint(views.bp)
