import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Sheet, SheetContent, SheetHeader, SheetTitle, SheetDescription } from "@/components/ui/sheet";
import { Mail, CalendarDays, FileText, ExternalLink } from "lucide-react";

// The sources of an answer: a chip per source ("[2] Q4 Financial Review"); a click opens a
// side panel with its details. Props (from assistant/chat/panels.py): sources, a list of
// {number, service, icon, title, fields: [[label, value]], excerpt, url, link}. `icon` names a
// lucide icon (the service registry's ServiceSpec.icon); the ones services use are here.
const ICONS = { Mail, CalendarDays, FileText };

export default function Sources() {
  const [open, setOpen] = useState(null);
  const shown = props.sources.find((source) => source.number === open);

  return (
    <div className="source-chips" data-testid="sources">
      {props.sources.map((source) => {
        const Icon = ICONS[source.icon] || FileText;
        return (
          <button
            key={source.number}
            type="button"
            onClick={() => setOpen(source.number)}
            className="source-chip"
            title={source.title}
          >
            <span className="source-number">[{source.number}]</span>
            <Icon className="source-icon" />
            <span className="source-title">{source.title}</span>
          </button>
        );
      })}
      <Sheet open={shown !== undefined} onOpenChange={(isOpen) => !isOpen && setOpen(null)}>
        <SheetContent className="overflow-y-auto sm:max-w-lg" data-testid="source-panel">
          {shown ? (
            <>
              <SheetHeader>
                <Badge variant="secondary" className="w-fit">[{shown.number}]</Badge>
                <SheetTitle>{shown.title}</SheetTitle>
                <SheetDescription className="sr-only">Details of source {shown.number}</SheetDescription>
              </SheetHeader>
              <dl className="source-fields">
                {shown.fields.map(([label, value]) => (
                  <div key={label} className="source-field">
                    <dt>{label}</dt>
                    <dd>{value}</dd>
                  </div>
                ))}
              </dl>
              {shown.excerpt ? (
                <p className="source-excerpt">{shown.excerpt}</p>
              ) : null}
              {shown.url ? (
                <a href={shown.url} target="_blank" rel="noreferrer" className="source-link">
                  {shown.link} <ExternalLink className="source-icon" />
                </a>
              ) : null}
            </>
          ) : null}
        </SheetContent>
      </Sheet>
    </div>
  );
}
