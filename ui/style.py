"""Page-wide CSS and one script: Vietnamese words where Streamlit writes English, and a phone-friendly frame."""

import json
from pathlib import Path

import streamlit as st

# The tab's icon, served by this app: a Material icon name (":material/hub:") makes the browser fetch the
# icon font from fonts.gstatic.com, an outside host a village's line may not reach.
ICON = str(Path(__file__).with_name("favicon.png"))

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
  content: "Ảnh JPG, PNG hoặc WebP, tối đa 5 MB";
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
/* A lost connection: the banner of PHONE_SCRIPT says it in Vietnamese; Streamlit's English dialog
   ("Connection error ...") and its status text ("Connecting", "Running...") are hidden. The attribute is
   Streamlit's own connection state, so this holds even when no script of ours has run. */
body:has([data-testid="stApp"]:not([data-test-connection-state="CONNECTED"])) [data-testid="stDialog"] {
  display: none !important;
}
[data-testid="stConnectionStatus"], [data-testid="stStatusWidget"] label {
  display: none !important;
}
#cnscd-offline {
  position: fixed; top: 0; left: 0; right: 0; z-index: 1000100;
  padding: 0.75rem 1rem; background: #fff3cd; color: #5c4400; border-bottom: 1px solid #e0c36a;
  font-size: 0.95rem; line-height: 1.4; text-align: center; box-shadow: 0 2px 6px rgba(0, 0, 0, 0.12);
}
/* The script's own element takes no room on the page. */
.st-key-app_phone_script { display: none; }
/* A phone: the page itself never scrolls sideways; a wide list scrolls inside its own box. */
[data-testid="stAppViewContainer"], [data-testid="stMain"] { overflow-x: hidden; }
[data-testid="stDataFrame"], [data-testid="stDataFrameResizable"] { max-width: 100%; overflow-x: auto; }
</style>
"""

OFFLINE_MESSAGE = "Mất kết nối tới máy chủ. Những gì bạn đã nhập vẫn được giữ; trang sẽ tự kết nối lại khi có mạng."

# Installed once per browser tab (the flag on window), then kept alive by its observer and listener: after a
# lost connection no script run comes to install it again. Streamlit writes its connection state on the
# stApp element (CONNECTED, PINGING_SERVER, CONNECTING, DISCONNECTED_FOREVER).
PHONE_SCRIPT = """
<script>
(() => {
  if (window.cnscdPhoneFrame) return;
  window.cnscdPhoneFrame = true;
  const message = __MESSAGE__;
  const showConnection = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute("data-test-connection-state") : null;
    let banner = document.getElementById("cnscd-offline");
    if (state && state !== "CONNECTED") {
      if (!banner) {
        banner = document.createElement("div");
        banner.id = "cnscd-offline";
        banner.setAttribute("role", "status");
        banner.setAttribute("aria-live", "polite");
        banner.textContent = message;
        document.body.appendChild(banner);
      }
    } else if (banner) {
      banner.remove();
    }
  };
  new MutationObserver(showConnection).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-test-connection-state"],
  });
  showConnection();
  // A phone: after a page is chosen in the menu, close the menu so the page is seen (Streamlit's own
  // navigation does this, its page links do not).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('[data-testid="stSidebar"] a');
    if (!link || window.innerWidth >= 768) return;
    setTimeout(() => {
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close && close.getAttribute("aria-expanded") === "true") close.click();
    }, 0);
  }, true);
})();
</script>
""".replace("__MESSAGE__", json.dumps(OFFLINE_MESSAGE))


def apply() -> None:
    """Inject the CSS and the phone script (fixed strings; no user data)."""
    st.html(CSS)
    with st.container(key="app_phone_script"):
        st.html(PHONE_SCRIPT, unsafe_allow_javascript=True)
