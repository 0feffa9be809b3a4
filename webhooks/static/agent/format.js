// Words and numbers as the agent reads them: sentences, phone numbers, dollars, dates and times.

export function sentence(message) {
  const text = String(message || "").trim();
  if (!text) return "";
  const capital = text[0].toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : capital + ".";
}

export function phone(number) {
  if (!number) return "Number withheld";
  const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
  return us ? `+1 ${us[1]}-${us[2]}-${us[3]}` : number;
}

export function dollars(amount) {
  const [whole, cents = "00"] = String(amount).split(".");
  return `$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents.padEnd(2, "0")}`;
}

export function toCents(text) {
  const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(text.trim());
  return match ? Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0")) : null;
}

export function day(isoDate) {
  if (!isoDate) return "—";
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-US", {
    timeZone: "UTC", weekday: "short", year: "numeric", month: "short", day: "numeric",
  });
}

export function moment(isoTime) {
  return new Date(isoTime).toLocaleString("en-US", {
    timeZone: "America/New_York", dateStyle: "medium", timeStyle: "short",
  }) + " Eastern";
}

export function ordinal(dayOfMonth) {
  return { 15: "15th", 23: "23rd" }[dayOfMonth] || String(dayOfMonth);
}
