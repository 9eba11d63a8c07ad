# Standard profile: separate app, worker and data hosts; managed MySQL (Flexible Server) and Azure Cache for Redis,
# self-hosted MongoDB and Meilisearch on their own VMs in the data subnet.
module "openedx" {
  source = "../.."

  environment       = "stage"
  region            = var.region
  zones             = ["1"]
  profile           = "standard"
  os_image          = "debian-12"
  network_cidr      = "10.40.0.0/16"
  ssh_user          = "openedx"
  ssh_public_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3xampleKeyOnlyForValidationxxxxxxxxxxxxxx demo@example"
  ssh_allowed_cidrs = ["203.0.113.0/24"]

  app_count           = 2
  app_machine_type    = "Standard_D4s_v5"
  app_disk_gb         = 60
  worker_count        = 1
  worker_machine_type = "Standard_D2s_v5"
  worker_disk_gb      = 40

  mysql_mode                  = "managed"
  mysql_version               = "8.4"
  mysql_machine_type          = "GP_Standard_D2ds_v4"
  mysql_disk_gb               = 100
  mysql_ha                    = false
  mysql_read_replica          = false
  mysql_backup_retention_days = 14

  mongodb_mode         = "self_hosted"
  mongodb_version      = "7.0"
  mongodb_count        = 1
  mongodb_machine_type = "Standard_E2s_v5"
  mongodb_disk_gb      = 100

  redis_mode         = "managed"
  redis_version      = "7.4"
  redis_machine_type = "Standard_C1"
  redis_ha           = false

  search_engine       = "meilisearch"
  search_mode         = "self_hosted"
  search_version      = "1.8"
  search_count        = 1
  search_machine_type = "Standard_E2s_v5"
  search_disk_gb      = 50

  # VMs per self-hosted data store, as the Python topology decides them: 0 for a managed store.
  # rabbitmq = 1: this example's environment has `broker: rabbitmq` (a VM of its own; docs/rabbitmq.md).
  data_host_counts = { mysql = 0, mongodb = 1, redis = 0, search = 1, rabbitmq = 1 }

  storage_bucket_prefix = "stage-openedx"
  storage_versioning    = true

  tls_mode      = "acme"
  lms_domain    = "learn.example.com"
  studio_domain = "studio.example.com"
  mfe_domain    = "apps.example.com"
  dns_zone      = "example.com"

  # Azure Front Door in front of /static/ and /media/, on a name of the zone (a managed certificate).
  cdn_enabled          = true
  cdn_domain           = "static.example.com"
  tls_certificate_file = ""
  tls_private_key_file = ""

  mysql_admin_password = var.mysql_admin_password
  redis_auth_token     = var.redis_auth_token
  ssh_host_key         = var.ssh_host_key
  ssh_host_public_key  = var.ssh_host_public_key

  deletion_protection = true
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
