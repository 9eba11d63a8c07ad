# HA profile: three app hosts and two workers across three zones behind the global HTTPS load balancer;
# regional Cloud SQL with a read replica, Memorystore STANDARD_HA, a three-member MongoDB replica set and a
# three-node OpenSearch cluster. Everything that holds data is deletion-protected.
module "openedx" {
  source = "../.."

  environment       = "campus"
  project_id        = var.project_id
  region            = var.region
  zones             = ["europe-west4-a", "europe-west4-b", "europe-west4-c"]
  profile           = "ha"
  os_image          = "ubuntu-24.04"
  network_cidr      = "10.40.0.0/16"
  ssh_user          = "openedx"
  ssh_public_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnlyForValidationXXXXXXXXXXXXXXXX ops@example"
  ssh_allowed_cidrs = ["198.51.100.0/24"]
  ssh_from_iap      = true

  app_count        = 3
  app_machine_type = "e2-standard-4"
  app_disk_gb      = 50

  worker_count        = 2
  worker_machine_type = "e2-standard-2"
  worker_disk_gb      = 40

  mysql_mode                  = "managed"
  mysql_version               = "8.4"
  mysql_machine_type          = "db-custom-4-15360"
  mysql_disk_gb               = 200
  mysql_ha                    = true
  mysql_read_replica          = true
  mysql_backup_retention_days = 14

  mongodb_mode         = "self_hosted"
  mongodb_version      = "7.0"
  mongodb_count        = 3
  mongodb_machine_type = "e2-standard-2"
  mongodb_disk_gb      = 200

  redis_mode         = "managed"
  redis_version      = "7.4"
  redis_machine_type = "5"
  redis_ha           = true

  search_engine       = "opensearch"
  search_mode         = "self_hosted"
  search_version      = "2.19"
  search_count        = 3
  search_machine_type = "e2-standard-4"
  search_disk_gb      = 100

  # VMs per self-hosted data store, as the Python topology decides them: 0 for a managed store.
  data_host_counts = { mysql = 0, mongodb = 3, redis = 0, search = 3, rabbitmq = 0 }

  storage_bucket_prefix = "campus-openedx"
  storage_versioning    = true

  tls_mode             = "cloud"
  lms_domain           = "learn.campus.example"
  studio_domain        = "studio.campus.example"
  mfe_domain           = "apps.campus.example"
  dns_zone             = "campus.example"
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
