"""The admin of the conferences app: conferences (``conference``) and the information package
(``package``). Importing the modules registers their model admins."""

from . import conference, package

__all__ = ["conference", "package"]
