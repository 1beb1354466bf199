# The fleet totals pp-fleetstats computes, in jq, for comparison.
# $now (epoch seconds, pp-fleetstats' --now) and $join (seconds,
# cloud.join_timeout): a cloud node still provisioning past its join
# timeout is no pending capacity.
def held: if .state == "stopped" then 0 else .ram_mb end;
def booting: .status == "provisioning" and
  ((.kind != "cloud") or ($join <= 0) or
   ((.cloud.created_at // null) == null) or
   ($now - (.cloud.created_at | fromdateiso8601) <= $join));
.nodes as $n
| ($n | map(select(.status == "ready") | .total_ram_mb - (.reserved_ram_mb // 0)) | add) as $total
| ($n | map([.containers[] | held] | add // 0) | add) as $alloc
| {total_ram_mb: $total, allocated_ram_mb: $alloc,
   free_ram_mb: ($total - $alloc),
   pending_ram_mb: ($n | map(select(booting) | .total_ram_mb - (.reserved_ram_mb // 0)) | add),
   capacity_percent: ($alloc * 100 / $total),
   spares: ($n | map(select(.kind == "cloud" and .status == "ready" and .role == "spare" and ([.containers[] | held] | add // 0) == 0)) | length),
   hourly_cost_eur: ($n | map(.cloud.hourly_cost_eur // 0) | add)}
