import type { Engine } from '../engine/engine.js';
import type { ViewFold, ViewSpec } from './task-view.js';
import { TaskViews, type TaskViewsOptions, type ViewStats } from './task-views.js';

/**
 * Every dialect's task views on this instance, made here so they share one
 * configuration and can be counted together (how many views, streams and
 * live feeds are open, and how many frames were ever rendered).
 */
export class ViewRegistry {
  private readonly all: { stats(): ViewStats }[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly options: Partial<TaskViewsOptions> = {},
  ) {}

  create<F, S extends ViewFold<F>, R>(spec: ViewSpec<F, S, R>): TaskViews<F, S, R> {
    const views = new TaskViews(this.engine, spec, this.options);
    this.all.push(views);
    return views;
  }

  stats(): ViewStats {
    const total: ViewStats = { views: 0, readers: 0, feeds: 0, rendered: 0 };
    for (const views of this.all) {
      const one = views.stats();
      total.views += one.views;
      total.readers += one.readers;
      total.feeds += one.feeds;
      total.rendered += one.rendered;
    }
    return total;
  }
}
