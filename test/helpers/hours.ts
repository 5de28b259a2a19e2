/** A report's resource-hours where the records hold the resource (every Nomad one does): null fails the test. */
export function known(hours: number | null): number {
  if (hours === null) throw new Error("resource-hours not recorded (null) where a number was expected");
  return hours;
}
