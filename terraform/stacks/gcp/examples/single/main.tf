# Single profile: one app host runs every container and every self-hosted data store; nginx terminates a
# self-signed certificate. Disposable, so nothing is deletion-protected.
module "openedx" {
  source = "../.."

  environment       = "demo"
  project_id        = var.project_id
  region            = var.region
  zones             = ["us-central1-a"]
  profile           = "single"
  os_image          = "debian-12"
  network_cidr      = "10.40.0.0/16"
  ssh_user          = "openedx"
  ssh_public_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnlyForValidationXXXXXXXXXXXXXXXX demo@example"
  ssh_allowed_cidrs = ["203.0.113.0/24"]

  app_count        = 1
  app_machine_type = "e2-standard-8"
  app_disk_gb      = 100

  worker_count        = 0
  worker_machine_type = "e2-standard-2"
  worker_disk_gb      = 40

  mysql_mode                  = "self_hosted"
  mysql_version               = "8.4"
  mysql_machine_type          = "e2-standard-2"
  mysql_disk_gb               = 50
  mysql_ha                    = false
  mysql_read_replica          = false
  mysql_backup_retention_days = 7

  mongodb_mode         = "self_hosted"
  mongodb_version      = "7.0"
  mongodb_count        = 0
  mongodb_machine_type = "e2-standard-2"
  mongodb_disk_gb      = 50

  redis_mode         = "self_hosted"
  redis_version      = "7.4"
  redis_machine_type = "e2-small"
  redis_ha           = false

  search_engine       = "meilisearch"
  search_mode         = "self_hosted"
  search_version      = "1.8"
  search_count        = 0
  search_machine_type = "e2-standard-2"
  search_disk_gb      = 20

  # VMs per self-hosted data store, as the Python topology decides them: 0 in single (the app host runs them).
  data_host_counts = { mysql = 0, mongodb = 0, redis = 0, search = 0, rabbitmq = 0 }

  storage_bucket_prefix = "demo-openedx"
  storage_versioning    = true

  tls_mode             = "self_signed"
  lms_domain           = "learn.example.com"
  studio_domain        = "studio.example.com"
  mfe_domain           = "apps.example.com"
  dns_zone             = "" # no zone: the dns_records output lists the records to create
  tls_certificate_file = ""
  tls_private_key_file = ""

  mysql_admin_password = var.mysql_admin_password
  redis_auth_token     = var.redis_auth_token
  ssh_host_key         = var.ssh_host_key
  ssh_host_public_key  = var.ssh_host_public_key

  deletion_protection = false
  tags                = { owner = "platform-team" }
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
