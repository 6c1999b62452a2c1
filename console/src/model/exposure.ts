/** The exposure view's model: every process type of every application, its PUBLIC/PRIVATE state and whether the switch is enabled. */
import type { ApplicationResult, Exposure } from '../api/types.ts';
import { canWrite, type Role } from './access.ts';

export interface ExposureRow {
  applicationId: string;
  app: string;
  processType: string;
  exposure: Exposure;
  /** What the switch sets. */
  next: Exposure;
  canSwitch: boolean;
}

export function exposureRows(apps: ApplicationResult[], role: Role): ExposureRow[] {
  return [...apps]
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((a) =>
      [...a.processTypes]
        .sort((x, y) => x.name.localeCompare(y.name))
        .map((p) => ({
          applicationId: a.id,
          app: a.name,
          processType: p.name,
          exposure: p.exposure,
          next: p.exposure === 'PUBLIC' ? ('PRIVATE' as const) : ('PUBLIC' as const),
          canSwitch: canWrite(role),
        })),
    );
}
