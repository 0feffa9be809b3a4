// Small helpers for the page itself: find an element, build one (texts from the API go in as
// text, never as HTML), change a text only when it differs (so live regions speak only of
// changes), and show or clear a form's errors.

import { sentence } from "./format.js";

export const $ = (id) => document.getElementById(id);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

export function setText(id, text) {
  const node = $(id);
  if (node.textContent !== text) node.textContent = text;
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error, .form-error")) node.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

// Show an error next to the control it concerns (`controls` maps API field names to ids);
// an error about no field goes to the form's own error line.
export function showError(error, controls, formErrorId) {
  const id = controls[error.field];
  const message = sentence(error.message);
  if (id) {
    const control = $(id);
    control.setAttribute("aria-invalid", "true");
    setText(`${id}-error`, message);
    const radio = control.matches("fieldset")
      && (control.querySelector("input:checked") || control.querySelector("input"));
    (radio || control).focus();
  } else {
    setText(formErrorId, message);
  }
}
