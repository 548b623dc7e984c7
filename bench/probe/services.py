from .models import ProbeRow


def create_probe_row(*, name: str, email: str, message: str = "") -> ProbeRow:
    """One INSERT in autocommit; no locks, no side effects."""
    return ProbeRow.objects.create(name=name, email=email, message=message)
