"""Form fields shared by several features."""

from django import forms


class BrowserTextField(forms.CharField):
    """Browsers count a line break as one character toward ``maxlength`` but send CRLF: count it as one here too."""

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")
