"""Page-wide CSS: Vietnamese words for the few texts Streamlit's own widgets write in English."""

import streamlit as st

# Streamlit has no translation for its file uploader; hide its English text and show ours.
CSS = """
<style>
[class*="st-key-activities_photo_"] [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {
  font-size: 0;
}
[class*="st-key-activities_photo_"] [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Chọn hoặc chụp ảnh";
  font-size: 0.875rem;
}
[class*="st-key-activities_photo_"] [data-testid="stFileUploaderDropzoneInstructions"] span {
  font-size: 0;
}
[class*="st-key-activities_photo_"] [data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "Ảnh JPG hoặc PNG, tối đa 5 MB";
  font-size: 0.8rem;
}
[class*="st-key-imports_file_"] [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {
  font-size: 0;
}
[class*="st-key-imports_file_"] [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Chọn tệp Excel";
  font-size: 0.875rem;
}
[class*="st-key-imports_file_"] [data-testid="stFileUploaderDropzoneInstructions"] span {
  font-size: 0;
}
[class*="st-key-imports_file_"] [data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "Kéo thả tệp .xlsx vào đây, tối đa 10 MB";
  font-size: 0.8rem;
}
</style>
"""


def apply() -> None:
    """Inject the CSS (a fixed string; no user data, no script)."""
    st.html(CSS)
