from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
OFD_MAGIC = b"PK\x03\x04"  # an OFD package is a ZIP file


def upload_kind(upload) -> str:
    """``"pdf"`` or ``"ofd"`` from the file's first bytes (never from its name), after
    the size limit; a ``ValidationError`` with the reason otherwise."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(
            _("文件太大：最大 %(max)d MB。") % {"max": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    head = upload.read(5)
    upload.seek(0)
    if head.startswith(PDF_MAGIC):
        return "pdf"
    if head.startswith(OFD_MAGIC):
        return "ofd"
    raise forms.ValidationError(_("这不是PDF文件，也不是OFD文件。"))


class PdfCheckForm(forms.Form):
    """The verification page's upload: a certificate's PDF or OFD file."""

    pdf = forms.FileField(label=_("选择电子证照文件（PDF或OFD）"))

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        self.document_kind = upload_kind(upload)
        return upload
