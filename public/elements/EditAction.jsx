import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { Label } from "@/components/ui/label";

// The Edit form of a confirmation card. Props (from assistant/chat/editing.py):
// id (the pending action), fields [{name, label, kind, value, choices}], error.
// "Confirm with changes" hands the typed values to the confirm_action callback, which
// checks them, applies them and carries the action out; the server then removes this form.
export default function EditAction() {
  const [values, setValues] = useState(
    Object.fromEntries(props.fields.map((field) => [field.name, field.value]))
  );
  const [busy, setBusy] = useState(false);
  const set = (name) => (event) => setValues({ ...values, [name]: event.target.value });

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await callAction({ name: "confirm_action", payload: { id: props.id, edits: values } });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="edit-form" id={`edit-${props.id}`}>
      {props.fields.map((field) => (
        <div key={field.name} className="edit-field">
          <Label htmlFor={`edit-${props.id}-${field.name}`}>{field.label}</Label>
          {field.kind === "text" ? (
            <Textarea id={`edit-${props.id}-${field.name}`} name={field.name} rows={8} value={values[field.name]} onChange={set(field.name)} />
          ) : field.kind === "choice" ? (
            <select
              id={`edit-${props.id}-${field.name}`}
              name={field.name}
              value={values[field.name]}
              onChange={set(field.name)}
              className="edit-select"
            >
              {field.choices.map(([value, words]) => (
                <option key={value} value={value}>{words}</option>
              ))}
            </select>
          ) : (
            <Input
              id={`edit-${props.id}-${field.name}`}
              name={field.name}
              type={field.kind === "time" ? "datetime-local" : "text"}
              value={values[field.name]}
              onChange={set(field.name)}
              placeholder={field.kind === "addresses" ? "name@example.com, other@example.com" : undefined}
            />
          )}
        </div>
      ))}
      {props.error ? <p className="edit-error" role="alert">{props.error}</p> : null}
      <div className="edit-buttons">
        <Button type="submit" disabled={busy}>Confirm with changes</Button>
        <Button type="button" variant="outline" disabled={busy} onClick={() => deleteElement()}>Discard changes</Button>
      </div>
    </form>
  );
}
