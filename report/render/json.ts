/** The JSON report: the model as it is (what `/report` serves and the dashboard script reads). */
import type { ReportModel } from '../model.js';

export function renderReportJson(model: ReportModel, pretty = true): string {
  return JSON.stringify(model, null, pretty ? 2 : undefined);
}
