// What a plan edit (or a resume) does to one enrolment's tasks (issue 8). One function for the
// gateway's preview and the scheduler's apply, so what the agent is shown is what happens.

import type { AgentSettings, PlanPreview, TaskHoldReason, TaskStatus } from '@realtoros/contracts';
import {
  nextSlotFrom,
  type PlanStep,
  type PlanVersion,
  emailSpacing,
  placeStep,
  planTaskId,
  type TaskPlanRef,
  type TaskTiming,
  taskPlanRef,
} from './steps.ts';

/** What both the scheduler's task state and the tasks read model can say about a planned task. */
export type PlanTaskSnapshot = {
  task_id: string;
  status: TaskStatus;
  scheduled_for: string;
  /** The agent rescheduled it by hand: plan edits and resumes leave it where they put it. */
  pinned: boolean;
  held_reason: TaskHoldReason | null;
};
/** An enrolment's tasks by step id (a Map or a plain record). */
export type PlanTasks = ReadonlyMap<string, PlanTaskSnapshot> | Readonly<Record<string, PlanTaskSnapshot | undefined>>;

/** A pending step that goes at another time (`from` → `to`), or — for `update` — at the same time with new content. */
export type MoveEffect = {
  kind: 'move' | 'update';
  step_id: string;
  step: PlanStep;
  task_id: string;
  from: string;
  to: string;
  timing: TaskTiming;
  /** 1-based position of the step in the new version. */
  plan_step_index: number;
  /** The step as the new version has it (RescheduleTask.plan). */
  plan: TaskPlanRef;
};
/** A step new in the version, still ahead: ScheduleTask. */
export type AddEffect = {
  kind: 'add';
  step_id: string;
  step: PlanStep;
  task_id: string;
  scheduled_for: string;
  timing: TaskTiming;
  /** 1-based position of the step in the new version. */
  step_index: number;
  plan: TaskPlanRef;
};
/** A step the new version dropped whose task is still pending: CancelTask {reason:'step_removed'}. */
export type RemoveEffect = { kind: 'remove'; step_id: string; task_id: string };
/** A step new in the version whose time has already passed for this enrolment: not added (not sent). */
export type PastEffect = { kind: 'past'; step_id: string; task_id: string };
export type PlanEffect = MoveEffect | AddEffect | RemoveEffect | PastEffect;

export type PlanChangeInput = {
  from: PlanVersion;
  to: PlanVersion;
  tasks: PlanTasks;
  /** ClientEnrolled.enrolled_at shifted by the enrolment's total paused ms. */
  anchor: string;
  settings: AgentSettings;
  clientZone?: string | null | undefined;
  clientId: string;
  enrollmentId: string;
  now: string;
};

/**
 * The effects of moving one enrolment from version `from` to `to`, in the new version's step
 * order, then removals in the old order:
 * - a step in both versions whose task is pending and not pinned: `move` when its new time
 *   differs from the task's, else `update` when its content (label, priority, action,
 *   instructions, template) changed, else nothing;
 * - a step only in `to` with no task: `add` when its time is ≥ now, else `past`;
 * - a step only in `from` whose task is pending: `remove` (pinned or not: the step is gone);
 * - new times already past go to the next open slot from now (exact demo steps: now).
 * A step held by the daily cap whose timing the edit leaves alone stays held (moving it
 * would only let it jump the cap); a task that is no longer pending is history, untouched.
 */
export function planChangeEffects(input: PlanChangeInput): PlanEffect[] {
  return effects(input, false);
}

/**
 * A resume is planChangeEffects with from = to = the current version and the anchor shifted
 * by the total paused time — with one difference: a held task is always re-placed (a `move`,
 * possibly to the same time), because holding it disarmed its timer and only a reschedule
 * arms it again.
 */
export function resumeEffects(input: Omit<PlanChangeInput, 'from' | 'to'> & { plan: PlanVersion }): PlanEffect[] {
  const { plan, ...rest } = input;
  return effects({ ...rest, from: plan, to: plan }, true);
}

function effects(input: PlanChangeInput, rearmHeld: boolean): PlanEffect[] {
  const { from, to, enrollmentId } = input;
  const before = new Map(from.steps.map((s) => [s.id, s]));
  const after = new Set(to.steps.map((s) => s.id));
  const out: PlanEffect[] = [];
  // Where the steps go is decided in order, so the "one email a day" rule of placeSteps holds
  // after an edit or a resume too (a step moved to "now" never lands beside another).
  const spacing = emailSpacing(placeArgs(input));

  to.steps.forEach((step, index) => {
    const task = taskOf(input.tasks, step.id);
    const old = before.get(step.id);
    const task_id = task?.task_id ?? planTaskId(enrollmentId, step.id);
    if (!task) {
      // A step of both versions without a task was already past at an earlier edit: not new now.
      if (old) return;
      const placed = placeStep({ ...placeArgs(input), step });
      if (ms(placed.scheduled_for) < ms(input.now)) out.push({ kind: 'past', step_id: step.id, task_id });
      else
        out.push({
          kind: 'add',
          step_id: step.id,
          step,
          task_id,
          ...placed,
          scheduled_for: spacing.next(step, placed.timing, placed.scheduled_for),
          step_index: index + 1,
          plan: taskPlanRef(to, index, enrollmentId),
        });
      return;
    }
    if (task.status !== 'pending' || task.pinned) {
      // Gone out (or going, or pinned by the agent): history the later steps still space from.
      if (task.status === 'due' || task.status === 'completed' || task.pinned)
        spacing.keep(step, placeStep({ ...placeArgs(input), step }).timing, task.scheduled_for);
      return;
    }
    const held = task.held_reason !== null;
    const content = old !== undefined && contentChanged(old, step);
    if (task.held_reason === 'daily_cap' && old && sameTiming(old, step)) {
      spacing.keep(step, placeStep({ ...placeArgs(input), step }).timing, task.scheduled_for);
      if (content) out.push(moveOf('update', input, step, index, task, task.scheduled_for, null));
      return;
    }
    const placed = placeStep({ ...placeArgs(input), step });
    const at = spacing.next(step, placed.timing, notBefore(placed, input));
    // Compared as instants: the read model may spell a time differently ("+00:00", no millis).
    if (ms(at) !== ms(task.scheduled_for) || (rearmHeld && held)) out.push(moveOf('move', input, step, index, task, at, placed.timing));
    else if (content) out.push(moveOf('update', input, step, index, task, at, placed.timing));
  });

  for (const step of from.steps) {
    if (after.has(step.id)) continue;
    const task = taskOf(input.tasks, step.id);
    if (task?.status === 'pending') out.push({ kind: 'remove', step_id: step.id, task_id: task.task_id });
  }
  return out;
}

const ms = (instant: string): number => Date.parse(instant);

function placeArgs(input: PlanChangeInput) {
  return { enrolledAt: input.anchor, settings: input.settings, clientZone: input.clientZone, clientId: input.clientId };
}

/** A new time already past goes as soon as it can: the next open slot from now (exact steps: now). */
function notBefore(placed: { scheduled_for: string; timing: TaskTiming }, input: PlanChangeInput): string {
  if (ms(placed.scheduled_for) >= ms(input.now)) return placed.scheduled_for;
  if (placed.timing.placement === 'exact') return new Date(Date.parse(input.now)).toISOString();
  return nextSlotFrom(input.now, input.settings, input.clientZone, input.clientId);
}

function moveOf(
  kind: 'move' | 'update',
  input: PlanChangeInput,
  step: PlanStep,
  index: number,
  task: PlanTaskSnapshot,
  to: string,
  timing: TaskTiming | null,
): MoveEffect {
  return {
    kind,
    step_id: step.id,
    step,
    task_id: task.task_id,
    from: task.scheduled_for,
    to,
    // A cap-held step keeps its time; its timing is re-derived so the event still carries one.
    timing: timing ?? placeStep({ ...placeArgs(input), step }).timing,
    plan_step_index: index + 1,
    plan: taskPlanRef(input.to, index, input.enrollmentId),
  };
}

function taskOf(tasks: PlanTasks, stepId: string): PlanTaskSnapshot | undefined {
  return tasks instanceof Map ? tasks.get(stepId) : (tasks as Readonly<Record<string, PlanTaskSnapshot | undefined>>)[stepId];
}

/** What the email or reminder says and how urgent it is (not when it goes, not where it sits in the list). */
function contentChanged(a: PlanStep, b: PlanStep): boolean {
  return (
    a.label !== b.label ||
    a.priority !== b.priority ||
    a.action !== b.action ||
    a.instructions !== b.instructions ||
    a.template_id !== b.template_id ||
    (a.template_use ?? 'as_is') !== (b.template_use ?? 'as_is')
  );
}

function sameTiming(a: PlanStep, b: PlanStep): boolean {
  return a.offset_days === b.offset_days && a.offset_seconds === b.offset_seconds && a.time_of_day === b.time_of_day;
}

// ---------------------------------------------------------------------------------------
// Preview

/**
 * Sums the effects of each live enrolment into the editor's preview. `affected` counts the
 * enrolments with anything that changes (a past step changes nothing); the sentence is the
 * one the issue quotes: "This change affects 37 enrolled clients: 12 steps move, 37 are added,
 * 5 are removed." plus ", 4 get new instructions" and a note on past steps when there are any.
 */
export function summarizePreview(effectsPerEnrollment: readonly (readonly PlanEffect[])[], enrolledCount: number): PlanPreview {
  let affected = 0;
  const n = { move: 0, update: 0, add: 0, remove: 0, past: 0 };
  for (const list of effectsPerEnrollment) {
    if (list.some((e) => e.kind !== 'past')) affected++;
    for (const e of list) n[e.kind]++;
  }
  return {
    enrolled: enrolledCount,
    affected,
    moved: n.move,
    added: n.add,
    removed: n.remove,
    summary: sentence(affected, enrolledCount, n),
  };
}

/** "1 step moves" / "1,204 steps move": a count in en-US digits with its singular or plural words. */
const count = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function sentence(affected: number, enrolled: number, n: Record<PlanEffect['kind'] | 'update', number>): string {
  const past =
    n.past === 0
      ? ''
      : ` ${count(n.past, 'added step is already past and is not sent.', 'added steps are already past and are not sent.')}`;
  if (affected === 0) return `This change affects none of the ${count(enrolled, 'enrolled client', 'enrolled clients')}.${past}`;
  const parts = [
    count(n.move, 'step moves', 'steps move'),
    count(n.add, 'is added', 'are added'),
    count(n.remove, 'is removed', 'are removed'),
  ];
  if (n.update > 0) parts.push(count(n.update, 'gets new instructions', 'get new instructions'));
  return `This change affects ${count(affected, 'enrolled client', 'enrolled clients')}: ${parts.join(', ')}.${past}`;
}
