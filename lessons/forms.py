from django import forms

from .models import Verdict

ANSWER_MAX_LENGTH = 5000


class BrowserTextField(forms.CharField):
    """Browsers count a line break as one character toward ``maxlength`` but send CRLF: count it as one here too."""

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")


class SelfCheckRevealForm(forms.Form):
    answer_text = BrowserTextField(
        label="Your answer (optional)",
        required=False,
        max_length=ANSWER_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
    )


class SelfCheckJudgeForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices)
