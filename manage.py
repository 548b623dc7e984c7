#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogkonferanse.settings")
    # Commands in a checkout run on the embedded defaults; production sets DJANGO_DEBUG=0 (the
    # image and docker-compose.yml do), and then the secrets are required as before.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
