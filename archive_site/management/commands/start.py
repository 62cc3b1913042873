"""The one-command start: migrate, ensure the admin account, optional setup of other apps,
collectstatic, then the web server and one RQ worker until Ctrl-C (see archive_site/launcher.py)."""
import os

from django.core.management.base import BaseCommand

from archive_site.launcher import Launcher


class Command(BaseCommand):
    help = "Prepare the database and run the web server (gunicorn) and one RQ worker on every queue until Ctrl-C."
    requires_system_checks = []  # migrate (run first) checks; the web and worker processes check too

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--reload", action="store_true", help="restart the web server when code changes")
        parser.add_argument("--no-demo-data", dest="demo_data", action="store_false", help="skip load_demo_data")

    def handle(self, *args, host, port, web_workers, reload, demo_data, **options):
        launcher = Launcher(host=host, port=port, web_workers=web_workers, reload=reload, demo_data=demo_data, out=self.stdout)
        code = launcher.run()
        if code:
            raise SystemExit(code)
