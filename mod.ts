/**
 * netlab: run, load-balance and measure HTTP servers on your own machine, and get honest numbers.
 *
 * Everything at once: the static file handler, the async server, the Worker pool, the TCP
 * balancer, the load generator with its report renderers, and the lab that ties them together.
 * Each area is also a module of its own, which loads only what it needs (the lab's charts load
 * vega): `@netlab/netlab/http`, `/server`, `/balancer`, `/bench` and `/lab`. The documentation
 * lives on the declarations.
 *
 * @module
 */

export { NetlabError, UsageError } from "./lib/errors.ts";
export { VERSION } from "./lib/version.ts";
export {
  createCpuBurner,
  createStaticHandler,
  createStaticResponder,
  DEFAULT_CACHE_MAX_FILE_BYTES,
  defaultRoot,
  DEMO_PATH,
  MAX_WORK_MS,
} from "./lib/http/mod.ts";
export type {
  Burn,
  CpuBurner,
  CpuClockKind,
  Handler,
  Responder,
  StaticOptions,
  WorkAnswer,
} from "./lib/http/mod.ts";
export {
  defaultDispatch,
  defaultWorkerCount,
  isPoolWorkerScope,
  POOL_WORKER_NAME,
  runPoolWorker,
  serve,
  withAccessLog,
  WORKER_HEADER,
  WorkerPool,
} from "./lib/server/mod.ts";
export type {
  Logger,
  PoolDispatch,
  PoolOptions,
  PoolSummary,
  RunningServer,
  ServeOptions,
} from "./lib/server/mod.ts";
export {
  Backend,
  BackendSpecError,
  Balancer,
  createStatsHandler,
  createStrategy,
  DEFAULT_BUFFER_SIZE,
  formatAddress,
  haproxyConfig,
  HealthChecker,
  LeastConn,
  ListenFailedError,
  nginxConfig,
  parseBackends,
  proxy,
  RandomTwoChoices,
  renderMetrics,
  RoundRobin,
  SourceHash,
  startBalancer,
  STRATEGY_NAMES,
} from "./lib/balancer/mod.ts";
export type {
  BackendSpec,
  BackendState,
  BackendStats,
  BalancerOptions,
  BalancerStats,
  EndReason,
  EngineChoice,
  EngineName,
  HaproxyConfigOptions,
  HealthOptions,
  NginxConfigOptions,
  Pickable,
  ProxyOptions,
  ProxyResult,
  Strategy,
  StrategyName,
  Traffic,
} from "./lib/balancer/mod.ts";
export {
  bench,
  benchCells,
  benchMatrix,
  checkAssertions,
  compareReports,
  DEFAULT_THREADS,
  isBenchWorkerScope,
  MARKDOWN_HEADER,
  MergeError,
  mergeReports,
  parseAssertion,
  regressions,
  renderAb,
  renderAbCell,
  renderAssertions,
  renderBenchComparison,
  renderCellsJson,
  renderCellsMarkdown,
  renderCsv,
  renderJson,
  renderMarkdown,
  runBenchWorker,
} from "./lib/bench/mod.ts";
export type {
  Assertion,
  AssertionOutcome,
  BenchCell,
  BenchCellsControl,
  BenchCellsOptions,
  BenchControl,
  BenchEnvironment,
  BenchMatrixControl,
  BenchMatrixOptions,
  BenchOptions,
  BenchProgress,
  BenchResult,
  BenchRun,
  BenchSummary,
  CellComparison,
  ClientUsage,
  Comparison,
  FailureCounts,
  MergeInput,
  MergeOptions,
  Ratio,
  Spread,
  TimingStats,
  Verdict,
} from "./lib/bench/mod.ts";
export {
  labChartSpecs,
  labSettings,
  renderComparison,
  renderConnections,
  renderLabCharts,
  renderLabHtml,
  renderLabMarkdown,
  renderSvg,
  runLab,
  writeLabReport,
} from "./lib/lab/mod.ts";
export type {
  AnchorModel,
  AnchorStatus,
  BackendConnections,
  LabCell,
  LabChart,
  LabChartSpec,
  LabEnvironment,
  LabHooks,
  LabModel,
  LabOptions,
  LabProgress,
  LabReportFiles,
  LabResult,
  LabServer,
  LabSettings,
  VegaLiteSpec,
} from "./lib/lab/mod.ts";
