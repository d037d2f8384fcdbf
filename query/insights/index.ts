// The insights query (issue 14): the contract, the reference scan, parameter parsing and the parts the stores share.
export {
  DEFAULT_INSIGHT_TOP,
  EXACT_INSTALLATIONS_LIMIT,
  INSIGHT_BUCKETS,
  INSIGHT_FIXED_GROUPINGS,
  MAX_INSIGHT_BUCKETS,
  MAX_INSIGHT_TOP,
  NO_GROUP,
  OTHER_GROUP,
} from './types.js';
export type { InsightBucket, InsightBucketRow, InsightsAnswer, InsightsQuery, InstallationCount } from './types.js';
export { computeInsights } from './compute.js';
export type { ComputeInsightsOptions } from './compute.js';
export { checkInsightsQuery, DEFAULT_INSIGHT_RANGE_MS, INSIGHTS_PARAM_NAMES, parseInsightsParams } from './params.js';
export type { InsightsParams } from './params.js';
export { InsightsBudgetError, InsightsQueryError } from './errors.js';
export { BUCKET_MS, bucketCount, bucketStart, bucketStarts } from './buckets.js';
export { compareNames, detailGroup, groupOf, rankGroups } from './groups.js';
export { assembleAnswer, emptyTally } from './answer.js';
export type { BucketTally, InstallationCounter } from './answer.js';
export { InstallationSet } from './installations.js';
export { estimateRegisters, HLL_PRECISION, HLL_REGISTERS, HyperLogLog, murmur3 } from './hll.js';
