from django import forms
from django.conf import settings


class UrlForm(forms.Form):
    url = forms.URLField(max_length=2000, assume_scheme="https")


class UploadForm(forms.Form):
    file = forms.FileField()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before reading it: the service checks the bytes' type.
        if upload.size > settings.INGEST_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {settings.INGEST_MAX_UPLOAD_BYTES} bytes."
            )
        return upload


class PasteForm(forms.Form):
    title = forms.CharField(max_length=500)
    published_on = forms.DateField(required=False)
    language = forms.CharField(max_length=8, required=False)
    url = forms.URLField(max_length=2000, required=False, assume_scheme="https")
    text = forms.CharField(widget=forms.Textarea)


class FeedForm(forms.Form):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    name = forms.CharField(max_length=200, required=False)
    interval = forms.IntegerField(min_value=1, initial=60)
