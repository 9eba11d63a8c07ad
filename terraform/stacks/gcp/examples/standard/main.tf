# Standard profile: separate app, worker and data tiers; Cloud SQL for MySQL and Memorystore for Redis (private
# IP only), self-hosted MongoDB and Meilisearch VMs; a global HTTPS load balancer with a Google-managed certificate.
module "openedx" {
  source = "../.."

  environment       = "school"
  project_id        = var.project_id
  region            = var.region
  zones             = ["europe-west4-a"]
  profile           = "standard"
  os_image          = "debian-12"
  network_cidr      = "10.40.0.0/16"
  ssh_user          = "openedx"
  ssh_public_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnlyForValidationXXXXXXXXXXXXXXXX ops@example"
  ssh_allowed_cidrs = []
  ssh_from_iap      = true

  app_count        = 1
  app_machine_type = "e2-standard-4"
  app_disk_gb      = 50

  worker_count        = 1
  worker_machine_type = "e2-standard-2"
  worker_disk_gb      = 40

  mysql_mode                  = "managed"
  mysql_version               = "8.4"
  mysql_machine_type          = "db-custom-2-7680"
  mysql_disk_gb               = 50
  mysql_ha                    = false
  mysql_read_replica          = false
  mysql_backup_retention_days = 7

  mongodb_mode         = "self_hosted"
  mongodb_version      = "7.0"
  mongodb_count        = 1
  mongodb_machine_type = "e2-standard-2"
  mongodb_disk_gb      = 50

  redis_mode         = "managed"
  redis_version      = "7.4"
  redis_machine_type = "1"
  redis_ha           = false

  search_engine       = "meilisearch"
  search_mode         = "self_hosted"
  search_version      = "1.8"
  search_count        = 1
  search_machine_type = "e2-standard-2"
  search_disk_gb      = 30

  # VMs per self-hosted data store, as the Python topology decides them: 0 for a managed store.
  # rabbitmq = 1: this example's environment has `broker: rabbitmq` (a VM of its own; docs/rabbitmq.md).
  data_host_counts = { mysql = 0, mongodb = 1, redis = 0, search = 1, rabbitmq = 1 }

  storage_bucket_prefix = "school-openedx"
  storage_versioning    = true

  tls_mode      = "cloud"
  lms_domain    = "learn.school.example"
  studio_domain = "studio.school.example"
  mfe_domain    = "apps.school.example"
  dns_zone      = "school.example"

  # Cloud CDN on the load balancer for /static/ and /media/, on the LMS's own name and certificate.
  cdn_enabled          = true
  tls_certificate_file = ""
  tls_private_key_file = ""

  mysql_admin_password = var.mysql_admin_password
  redis_auth_token     = var.redis_auth_token
  ssh_host_key         = var.ssh_host_key
  ssh_host_public_key  = var.ssh_host_public_key

  deletion_protection = true
  tags                = { owner = "platform-team", cost-center = "edu" }
}

output "host_groups" {
  value = module.openedx.host_groups
}

output "endpoints" {
  value = module.openedx.endpoints
}

output "buckets" {
  value = module.openedx.buckets
}

output "load_balancer" {
  value = module.openedx.load_balancer
}

output "dns_records" {
  value = module.openedx.dns_records
}

output "cdn" {
  value = module.openedx.cdn
}

output "storage_identity" {
  value = module.openedx.storage_identity
}

output "ssh_user" {
  value = module.openedx.ssh_user
}

# The password clients use for a managed Redis ("" when self-hosted); sensitive.
output "bastion" {
  value = module.openedx.bastion
}

output "redis_credential" {
  value     = module.openedx.redis_credential
  sensitive = true
}

output "shared_files" {
  value = module.openedx.shared_files
}
