"""Names of the roles created by the data migration ``conferences/0002_roles``."""

PROCUREMENT_STAFF = "Procurement staff"
MODERATOR = "Moderator"
