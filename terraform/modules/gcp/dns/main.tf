# The public names (LMS, Studio, MFEs, notes, Meilisearch) in a Cloud DNS managed zone, as A records to the load
# balancer's address (or the app host's, when nginx faces the internet itself). Without a zone nothing is created and
# `records` says which records to create by hand.

locals {
  create  = var.zone_name != ""
  domains = distinct(var.domains)
  # Cloud DNS knows a zone by a name of its own; `gcloud dns managed-zones create` users often derive it so.
  managed_zone = var.managed_zone != "" ? var.managed_zone : replace(var.zone_name, ".", "-")
  project      = var.project_id == "" ? null : var.project_id
}

# The public managed zone, looked up by its name (the operator's, not created here).
data "google_dns_managed_zone" "this" {
  count = local.create ? 1 : 0

  project = local.project
  name    = local.managed_zone
}

resource "google_dns_record_set" "this" {
  for_each = local.create ? toset(local.domains) : toset([])

  project      = local.project
  managed_zone = data.google_dns_managed_zone.this[0].name
  name         = "${each.key}."
  type         = "A"
  ttl          = var.ttl
  rrdatas      = [var.address]
}
