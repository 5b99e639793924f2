"""Run Django's collectstatic (Debian's python3-django 3.2) on source folders.

Used by the parity test and bench/build.sh, in a subprocess of its own
because Django's settings are process-global:

    /usr/bin/python3 django_collect.py STORAGE DEST SRC...

STORAGE is one of
  parity      ManifestStaticFilesStorage with Django 4.x's two source-map
              patterns added (CSS /*# sourceMappingURL=... */ and JS
              //# sourceMappingURL=...), i.e. Django >= 4.0's behaviour
  manifest    plain ManifestStaticFilesStorage of the installed Django
  whitenoise  whitenoise's CompressedManifestStaticFilesStorage (gzip+brotli)

Django 3.2's url_converter unpacks exactly two groups, so the patterns are
the Django 4.0 spelling (two positional groups); Django 4.1+ spells the same
expressions with named groups (?P<matched>...)(?P<url>...).
"""
import sys

import django
from django.conf import settings

PARITY_PATTERNS = (
    ("*.css", (
        r"""(url\(['"]{0,1}\s*(.*?)["']{0,1}\))""",
        (r"""(@import\s*["']\s*(.*?)["'])""", """@import url("%s")"""),
        (r"(?m)^(/\*#[ \t](?-i:sourceMappingURL)=(.*)[ \t]*\*/)$",
         "/*# sourceMappingURL=%s */"),
    )),
    ("*.js", (
        (r"(?m)^(//# (?-i:sourceMappingURL)=(.*))$", "//# sourceMappingURL=%s"),
    )),
)


def storage_class(kind):
    if kind == "parity":
        return "django_collect.ParityStorage"
    if kind == "manifest":
        return "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    if kind == "whitenoise":
        return "whitenoise.storage.CompressedManifestStaticFilesStorage"
    raise SystemExit("unknown storage " + kind)


def main():
    kind, dest, srcs = sys.argv[1], sys.argv[2], sys.argv[3:]
    settings.configure(
        DEBUG=False,
        INSTALLED_APPS=["django.contrib.staticfiles"],
        STATIC_URL="/static/",
        STATIC_ROOT=dest,
        STATICFILES_DIRS=srcs,
        STATICFILES_STORAGE=storage_class(kind),
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
    )
    django.setup()
    from django.core.management import call_command
    call_command("collectstatic", interactive=False, verbosity=0)


if __name__ == "__main__":
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    main()
else:
    from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

    class ParityStorage(ManifestStaticFilesStorage):
        patterns = PARITY_PATTERNS
