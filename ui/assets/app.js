// The light report page: a report is first kept on the phone (IndexedDB), then sent; what the line drops is
// sent again later with the same form token, which the server counts once.
(() => {
  "use strict";
  const cfg = JSON.parse(document.getElementById("config").textContent);
  const $ = (id) => document.getElementById(id);
  const form = $("report");
  const send = $("send");
  const RETRY_MS = 20000;
  let db = null;
  let flushing = false;
  let signInNeeded = false;
  let waitUntil = 0; // after a 429: the server asked this phone to wait before sending again
  let waitMessage = "";

  const pad = (n) => String(n).padStart(2, "0");
  const isoToday = () => { const d = new Date(); return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`; };
  const dmy = (iso) => (iso ? iso.split("-").reverse().join("/") : "");
  const num = (n) => Number(n).toLocaleString("vi-VN");
  const newToken = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  let token = newToken();

  // ---- IndexedDB: "pending" (waiting to be sent, or refused) and "sent" (what arrived) ----------
  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("tocnscd-nhanh", 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore("pending", { keyPath: "token" });
        req.result.createObjectStore("sent", { keyPath: "token" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  function store(name, mode, work) {
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const result = work(tx.objectStore(name));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
  const all = async (name) => ((await store(name, "readonly", (s) => s.getAll())) || [])
    .filter((item) => item.user === cfg.user).sort((a, b) => a.created - b.created);

  // ---- what the page shows ----------------------------------------------------------------------
  function line(item) {
    const label = cfg.types[item.type] || item.type;
    return `${dmy(item.date)} · ${label} · ${num(item.people)} người`;
  }
  function li(text, cls) {
    const el = document.createElement("li");
    el.textContent = text;
    if (cls) el.className = cls;
    return el;
  }
  function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.className = "secondary";
    b.addEventListener("click", onClick);
    return b;
  }
  async function render() {
    const pending = await all("pending");
    const waiting = pending.filter((p) => !p.error);
    $("pending-title").textContent = `Chờ gửi: ${waiting.length}`;
    const list = $("pending");
    list.replaceChildren();
    for (const item of pending) {
      const el = li(line(item), item.error ? "rejected" : "");
      const state = document.createElement("div");
      state.className = item.error ? "field-error" : "muted";
      state.textContent = item.error ? `Không gửi được: ${item.error}` : "Đang chờ gửi";
      el.append(state);
      if (item.error) {
        el.append(button("Sửa lại", () => edit(item)), button("Bỏ báo cáo này", () => drop(item)));
      }
      list.append(el);
    }
    const sent = (await all("sent")).reverse().slice(0, 10);
    const sentList = $("sent");
    sentList.replaceChildren(...(sent.length ? sent.map((s) => li(`${line(s)} · đã ghi nhận`)) : [li("Chưa có.", "muted empty")]));
    const net = $("net");
    net.hidden = false;
    if (signInNeeded) {
      net.className = "net";
      net.replaceChildren("Phiên đăng nhập đã hết; báo cáo vẫn được giữ trên máy. ");
      const a = document.createElement("a");
      a.href = "/dang-nhap?next=/nhanh/";
      a.textContent = "Đăng nhập lại để gửi";
      net.append(a);
    } else if (waiting.length && waitUntil > Date.now()) {
      net.className = "net";
      net.textContent = `${waitMessage} Báo cáo vẫn được giữ trên máy và tự gửi sau.`;
    } else if (!navigator.onLine) {
      net.className = "net";
      net.textContent = "Đang mất mạng: báo cáo được lưu trên máy này và tự gửi khi có mạng.";
    } else if (waiting.length) {
      net.className = "net";
      net.textContent = "Đang gửi các báo cáo chờ…";
    } else {
      net.className = "net ok";
      net.textContent = "Đã kết nối. Mọi báo cáo trên máy này đã được gửi.";
    }
  }

  // ---- checks a phone can make before the server does (the same words as the service layer) ------
  function showErrors(errors) {
    document.querySelectorAll(".field-error[data-for]").forEach((el) => { el.textContent = errors[el.dataset.for] || ""; });
  }
  function check(values) {
    const errors = {};
    if (!values.date) errors.activity_date = "Hãy chọn ngày hoạt động.";
    else if (values.date > isoToday()) errors.activity_date = "Ngày hoạt động không được ở tương lai.";
    else if (values.date < cfg.earliest) errors.activity_date = `Ngày hoạt động trước ngày thành lập tổ (${dmy(cfg.earliest)}).`;
    if (!(values.type in cfg.types)) errors.activity_type = "Hãy chọn loại hoạt động.";
    const counts = { people: ["people_reached", "Số người được hỗ trợ"], households: ["households_reached", "Số hộ"],
      results: ["results", cfg.resultLabels[values.type] || "Kết quả"] };
    for (const [key, [field, label]] of Object.entries(counts)) {
      const raw = values[key];
      if (!/^\d+$/.test(raw)) errors[field] = `${label} phải là số nguyên không âm.`;
      else if (Number(raw) > cfg.maxima[field]) errors[field] = `${label} quá lớn cho một báo cáo (tối đa ${num(cfg.maxima[field])}).`;
    }
    if (values.note.length > cfg.noteMax) errors.note = `Ghi chú dài quá ${num(cfg.noteMax)} ký tự.`;
    return errors;
  }

  // A camera photo of several megabytes travels as a JPEG of at most 1280 px (about 200 KB); the canvas also
  // leaves the photo's location data behind.
  async function shrink(file) {
    if (!file) return null;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (err) {
      throw new Error("Tệp này không phải ảnh hợp lệ; hãy chọn ảnh JPEG hoặc PNG.");
    }
    const scale = Math.min(1, 1280 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.72));
  }

  function values() {
    return {
      date: $("f-date").value, type: $("f-type").value, people: $("f-people").value.trim() || "0",
      households: $("f-households").value.trim() || "0", results: $("f-results").value.trim() || "0", note: $("f-note").value,
    };
  }

  async function submit(event) {
    event.preventDefault();
    if (send.disabled) return; // a double tap: the first tap's report is already being kept
    const v = values();
    const errors = check(v);
    showErrors(errors);
    if (Object.keys(errors).length) return;
    send.disabled = true;
    try {
      let photo = null;
      try {
        photo = await shrink($("f-photo").files[0]);
      } catch (err) {
        showErrors({ photo: err.message });
        return;
      }
      await store("pending", "readwrite", (s) => s.put({ ...v, token, user: cfg.user, team: cfg.team, photo, created: Date.now() }));
      token = newToken();
      form.reset();
      $("f-date").value = isoToday();
      updateLabels();
      await render();
      flush();
    } catch (err) {
      showErrors({ other: "Không lưu được báo cáo trên máy này (bộ nhớ trình duyệt đầy hoặc bị chặn); hãy thử lại." });
    } finally {
      send.disabled = false;
    }
  }

  async function edit(item) {
    $("f-date").value = item.date;
    $("f-type").value = item.type;
    $("f-people").value = item.people;
    $("f-households").value = item.households;
    $("f-results").value = item.results;
    $("f-note").value = item.note;
    updateLabels();
    showErrors({ [item.field || "other"]: item.error });
    await drop(item);
    form.scrollIntoView();
  }
  async function drop(item) {
    await store("pending", "readwrite", (s) => s.delete(item.token));
    await render();
  }

  // ---- sending what waits, oldest first; one sender at a time -----------------------------------
  async function flush() {
    if (flushing || waitUntil > Date.now()) return;
    flushing = true;
    try {
      for (const item of (await all("pending")).filter((p) => !p.error)) {
        const body = new FormData();
        body.append("token", item.token);
        body.append("to", item.team);
        body.append("ngay", item.date);
        body.append("loai", item.type);
        body.append("nguoi", item.people);
        body.append("ho", item.households);
        body.append("ket_qua", item.results);
        body.append("ghi_chu", item.note);
        if (item.photo) body.append("anh", item.photo, "anh.jpg");
        let response;
        try {
          response = await fetch("/nhanh/api/bao-cao", { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } });
        } catch (err) {
          break; // no line: try again when it comes back
        }
        if (response.status === 401) { signInNeeded = true; break; }
        let answer = {};
        try { answer = await response.json(); } catch (err) { answer = {}; }
        if (response.status === 429) {
          // Too many reports for now: not a wrong value. Keep this one and the rest waiting, and try after the wait.
          const seconds = Number(response.headers.get("Retry-After")) || 60;
          waitUntil = Date.now() + seconds * 1000;
          waitMessage = answer.message || "Bạn đã gửi quá nhiều báo cáo trong thời gian ngắn.";
          setTimeout(flush, seconds * 1000 + 1000);
          break;
        }
        if (response.ok) {
          signInNeeded = false;
          await store("pending", "readwrite", (s) => s.delete(item.token));
          await store("sent", "readwrite", (s) => s.put({ ...item, photo: null, id: answer.id, message: answer.message }));
        } else if (response.status >= 400 && response.status < 500 && answer.message) {
          // Refused for good (a wrong value, no permission): keep it for the volunteer to correct or drop.
          await store("pending", "readwrite", (s) => s.put({ ...item, error: answer.message, field: answer.field }));
        } else {
          break; // the server or its database is down for now: try again later
        }
      }
    } finally {
      flushing = false;
      await render();
    }
  }

  function updateLabels() {
    $("f-results-label").textContent = cfg.resultLabels[$("f-type").value] || "Kết quả";
    $("f-date-text").textContent = $("f-date").value ? `Ngày ${dmy($("f-date").value)}` : "";
    const photo = $("f-photo").files[0];
    $("f-photo-name").textContent = photo ? `Ảnh: ${photo.name}` : "Chưa chọn ảnh. Ảnh được thu nhỏ trên máy trước khi gửi.";
  }

  async function start() {
    $("f-date").max = isoToday();
    if (!$("f-date").value || $("f-date").value > isoToday()) $("f-date").value = isoToday();
    updateLabels();
    $("f-type").addEventListener("change", updateLabels);
    $("f-date").addEventListener("change", updateLabels);
    $("f-photo").addEventListener("change", updateLabels);
    form.addEventListener("submit", submit);
    $("sign-out").addEventListener("submit", async (event) => {
      event.preventDefault(); // first the questions and the clean-up, then the sign-out itself
      const waiting = (await all("pending")).filter((p) => !p.error).length;
      if (waiting && !window.confirm(`Còn ${waiting} báo cáo chưa gửi, được giữ trên máy này đến khi bạn đăng nhập lại. Vẫn đăng xuất?`)) return;
      if ("caches" in window) {
        // Nobody else on this phone should find this account's page offline.
        const keys = await caches.keys();
        await Promise.all(keys.filter((k) => k.startsWith("tocnscd-nhanh-")).map((k) => caches.delete(k)));
      }
      event.target.submit();
    });
    window.addEventListener("online", flush);
    window.addEventListener("offline", render);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) flush(); });
    setInterval(flush, RETRY_MS);
    db = await openDb();
    await render();
    send.disabled = false;
    document.documentElement.dataset.ready = "1";
    flush();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/nhanh/sw.js", { scope: "/nhanh/" }).catch(() => {});
  }

  start().catch(() => {
    showErrors({ other: "Trình duyệt này không cho lưu báo cáo trên máy; báo cáo chỉ gửi được khi có mạng." });
  });
})();
