from django import forms


class ProbeForm(forms.Form):
    """Three fields, validated like a real form: the baseline for form benchmarks."""

    name = forms.CharField(max_length=200)
    email = forms.EmailField()
    message = forms.CharField(max_length=500, required=False)
