from django.db import models


class ProbeRow(models.Model):
    """One row per baseline form POST: the cheapest realistic validated insert."""

    name = models.CharField(max_length=200)
    email = models.EmailField()
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email
