"""Tracking: batches, problems and measures; the workflow and its rules (who may do what, which
state a measure is in); the dashboard, the board and list, the ticket page and the batches."""


def init_app(app):
    from rectify.accounts import audit
    from rectify.tracking import (
        batches,
        board,
        counts,
        dashboard,
        evidence,
        permissions,
        revision,
        status,
        tickets,
    )

    for blueprint in (dashboard.bp, board.bp, tickets.bp, batches.bp):
        app.register_blueprint(blueprint)
    revision.init_app(app)
    app.add_template_global(permissions, "perm")
    app.add_template_global(status, "status")
    app.add_template_global(counts, "counts")
    app.add_template_global(audit.ACTION_LABELS, "audit_labels")
    app.add_template_global(audit.FIELD_LABELS, "field_labels")
    app.add_template_filter(audit.describe, "audit_sentences")
    app.add_template_global(evidence.ACCEPT, "evidence_accept")
    app.add_template_filter(status.measure_text, "measure_text")
