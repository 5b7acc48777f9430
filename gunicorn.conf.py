"""Gunicorn reads this file from the folder it is started in (``gunicorn app:app``)."""


def post_worker_init(worker):
    """Each worker, once it has loaded the app, keeps what it holds out of full garbage collections."""
    from rectify.core import memory

    memory.settle()
