//! Aggregation over runs of equal grouping keys.
//!
//! A dataset's table is sorted on its ordered column, so a `GROUP BY` of
//! a monotonic function of it (`date_trunc('hour', ts)`, `ts` itself)
//! sees the rows of each group one after the other: DataFusion plans it
//! as an aggregate with `ordering_mode=Sorted`, which still looks every
//! row up in a hash table. [`RunAggregation`] replaces such an aggregate
//! (partial, or single when the plan has one partition) by
//! [`RunAggregateExec`], which cuts each batch into runs of equal keys
//! and gives the rows of each run one group index, for the aggregates'
//! own groups accumulators: no hashing. Its output is
//! the output the replaced aggregate would give, in the same schema and
//! order, so the rest of the plan is unchanged.

use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::partition;
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue};
use datafusion::config::ConfigOptions;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use datafusion::physical_expr::OrderingRequirements;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::aggregate::AggregateFunctionExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, InputDistributionRequirements, InputOrderMode,
    PlanProperties, SendableRecordBatchStream,
};
use futures::StreamExt;

/// The physical optimizer rule that puts [`RunAggregateExec`] in place
/// of every aggregate it can replace (see the module documentation).
#[derive(Debug, Default)]
pub(crate) struct RunAggregation;

impl PhysicalOptimizerRule for RunAggregation {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            Ok(match RunAggregateExec::replacing(&node) {
                Some(run) => Transformed::yes(Arc::new(run) as Arc<dyn ExecutionPlan>),
                None => Transformed::no(node),
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "ordo_run_aggregation"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// An aggregate over input sorted on its one grouping expression,
/// computed run by run; it stands for the [`AggregateExec`] it replaced
/// (its schema, properties and child).
#[derive(Debug)]
pub(crate) struct RunAggregateExec {
    agg: Arc<dyn ExecutionPlan>,
    metrics: ExecutionPlanMetricsSet,
}

impl RunAggregateExec {
    /// The replacement of `node`, when it is an aggregate this can
    /// compute: partial or single, sorted on its one grouping expression
    /// (no grouping sets), no `FILTER`, `DISTINCT` or ordered aggregate,
    /// every aggregate with a groups accumulator, no limit. (DataFusion
    /// gives dynamic filters only to aggregates without grouping.)
    fn replacing(node: &Arc<dyn ExecutionPlan>) -> Option<Self> {
        let agg = node.downcast_ref::<AggregateExec>()?;
        let mode_fits = matches!(
            agg.mode(),
            AggregateMode::Partial | AggregateMode::Single | AggregateMode::SinglePartitioned
        );
        let group = agg.group_expr();
        let fits = mode_fits
            && *agg.input_order_mode() == InputOrderMode::Sorted
            && group.is_single()
            && group.expr().len() == 1
            && agg.filter_expr().iter().all(Option::is_none)
            && agg.limit_options().is_none()
            && agg.aggr_expr().iter().all(|a| {
                !a.is_distinct() && a.order_bys().is_empty() && a.groups_accumulator_supported()
            });
        fits.then(|| Self {
            agg: Arc::clone(node),
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }

    fn aggregate(&self) -> &AggregateExec {
        self.agg
            .downcast_ref::<AggregateExec>()
            .expect("built from an AggregateExec")
    }
}

impl DisplayAs for RunAggregateExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let agg = self.aggregate();
        let names: Vec<&str> = agg.aggr_expr().iter().map(|a| a.name()).collect();
        write!(
            f,
            "RunAggregateExec: mode={:?}, gby=[{}], aggr=[{}]",
            agg.mode(),
            agg.group_expr().expr()[0].1,
            names.join(", ")
        )
    }
}

impl ExecutionPlan for RunAggregateExec {
    fn name(&self) -> &str {
        "RunAggregateExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.agg.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.agg.children()
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.agg.apply_expressions(f)
    }

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        self.agg.input_distribution_requirements()
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        self.agg.required_input_ordering()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        self.agg.maintains_input_order()
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let agg = Arc::clone(&self.agg).with_new_children(children)?;
        Ok(match Self::replacing(&agg) {
            Some(run) => Arc::new(run),
            None => agg,
        })
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let agg = self.aggregate();
        let batch_size = context.session_config().batch_size();
        let input = agg.input().execute(partition, context)?;
        let runs = Runs::new(agg, BaselineMetrics::new(&self.metrics, partition))?;
        let stream = futures::stream::try_unfold(
            (input, runs, false),
            move |(mut input, mut runs, done)| async move {
                if done {
                    return Ok(None);
                }
                while let Some(batch) = input.next().await {
                    runs.add(&batch?)?;
                    if runs.closed() >= batch_size {
                        let out = runs.emit(runs.closed())?;
                        return Ok(Some((out, (input, runs, false))));
                    }
                }
                if runs.keys.is_empty() {
                    return Ok(None);
                }
                let out = runs.emit(runs.keys.len())?;
                Ok(Some((out, (input, runs, true))))
            },
        );
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            agg.schema(),
            stream,
        )))
    }
}

/// The state of one partition's aggregation: the aggregates' own groups
/// accumulators (the ones DataFusion's hash aggregation uses, so states
/// and results are the same), fed group indices from runs instead of a
/// hash table. Group `i` has key `keys[i]`; the last group is still open
/// (its rows may continue in the next batch).
struct Runs {
    key: Arc<dyn PhysicalExpr>,
    aggregates: Vec<Arc<AggregateFunctionExpr>>,
    accumulators: Vec<Box<dyn GroupsAccumulator>>,
    /// Partial aggregation emits the accumulators' states; single, their
    /// final values.
    states: bool,
    schema: SchemaRef,
    keys: Vec<ScalarValue>,
    group_indices: Vec<usize>,
    /// Compute time and output rows, for `EXPLAIN ANALYZE`.
    metrics: BaselineMetrics,
}

impl Runs {
    fn new(agg: &AggregateExec, metrics: BaselineMetrics) -> Result<Self> {
        let aggregates = agg.aggr_expr().to_vec();
        let accumulators = aggregates
            .iter()
            .map(|a| a.create_groups_accumulator())
            .collect::<Result<_>>()?;
        Ok(Self {
            key: Arc::clone(&agg.group_expr().expr()[0].0),
            aggregates,
            accumulators,
            states: *agg.mode() == AggregateMode::Partial,
            schema: agg.schema(),
            keys: Vec::new(),
            group_indices: Vec::new(),
            metrics,
        })
    }

    /// The groups no later row can belong to.
    fn closed(&self) -> usize {
        self.keys.len().saturating_sub(1)
    }

    /// Feeds `batch` to the accumulators, its rows' groups found by
    /// cutting it into runs of equal keys.
    fn add(&mut self, batch: &RecordBatch) -> Result<()> {
        let _timer = self.metrics.elapsed_compute().timer();
        let n = batch.num_rows();
        let keys = self.key.evaluate(batch)?.into_array(n)?;
        self.group_indices.clear();
        for run in partition(std::slice::from_ref(&keys))?.ranges() {
            let key = ScalarValue::try_from_array(&keys, run.start)?;
            if self.keys.last() != Some(&key) {
                self.keys.push(key);
            }
            let group = self.keys.len() - 1;
            self.group_indices
                .extend(std::iter::repeat_n(group, run.len()));
        }
        for (acc, aggregate) in self.accumulators.iter_mut().zip(&self.aggregates) {
            let args = aggregate
                .expressions()
                .iter()
                .map(|e| e.evaluate(batch)?.into_array(n))
                .collect::<Result<Vec<ArrayRef>>>()?;
            acc.update_batch(&args, &self.group_indices, None, self.keys.len())?;
        }
        Ok(())
    }

    /// The first `n` groups as one batch of the aggregate's schema; the
    /// groups after them become groups `0..`.
    fn emit(&mut self, n: usize) -> Result<RecordBatch> {
        self.metrics.record_output(n);
        let _timer = self.metrics.elapsed_compute().timer();
        let emit_to = if n == self.keys.len() {
            EmitTo::All
        } else {
            EmitTo::First(n)
        };
        let keys: Vec<ScalarValue> = self.keys.drain(..n).collect();
        let mut columns = vec![ScalarValue::iter_to_array(keys)?];
        for acc in &mut self.accumulators {
            if self.states {
                columns.extend(acc.state(emit_to)?);
            } else {
                columns.push(acc.evaluate(emit_to)?);
            }
        }
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }
}
