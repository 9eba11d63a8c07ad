# HA profile: app hosts across three zones, zone-redundant MySQL with a read replica, Premium Redis across zones,
# a three-member MongoDB replica set and WAF on the gateway; deletion protection on.
module "openedx" {
  source = "../.."

  environment       = "prod"
  region            = var.region
  zones             = ["1", "2", "3"]
  profile           = "ha"
  os_image          = "debian-12"
  network_cidr      = "10.40.0.0/16"
  ssh_user          = "openedx"
  ssh_public_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3xampleKeyOnlyForValidationxxxxxxxxxxxxxx demo@example"
  ssh_allowed_cidrs = []

  app_count           = 3
  app_machine_type    = "Standard_D8s_v5"
  app_disk_gb         = 60
  worker_count        = 2
  worker_machine_type = "Standard_D2s_v5"
  worker_disk_gb      = 40

  mysql_mode                  = "managed"
  mysql_version               = "8.4"
  mysql_machine_type          = "GP_Standard_D4ds_v4"
  mysql_disk_gb               = 256
  mysql_ha                    = true
  mysql_read_replica          = true
  mysql_backup_retention_days = 35

  mongodb_mode         = "self_hosted"
  mongodb_version      = "7.0"
  mongodb_count        = 3
  mongodb_machine_type = "Standard_E4s_v5"
  mongodb_disk_gb      = 200

  redis_mode         = "managed"
  redis_version      = "7.4"
  redis_machine_type = "Premium_P1"
  redis_ha           = true

  search_engine       = "meilisearch"
  search_mode         = "self_hosted"
  search_version      = "1.8"
  search_count        = 1
  search_machine_type = "Standard_E4s_v5"
  search_disk_gb      = 100

  # VMs per self-hosted data store, as the Python topology decides them: 0 for a managed store.
  data_host_counts = { mysql = 0, mongodb = 3, redis = 0, search = 1, rabbitmq = 0 }

  storage_bucket_prefix = "prod-openedx"
  storage_versioning    = true

  tls_mode      = "cloud"
  lms_domain    = "learn.example.com"
  studio_domain = "studio.example.com"
  mfe_domain    = "apps.example.com"
  dns_zone      = "example.com"

  # Azure Front Door in front of /static/ and /media/ on its own *.azurefd.net name.
  cdn_enabled          = true
  tls_certificate_file = ""
  tls_private_key_file = ""

  mysql_admin_password = var.mysql_admin_password
  redis_auth_token     = var.redis_auth_token
  ssh_host_key         = var.ssh_host_key
  ssh_host_public_key  = var.ssh_host_public_key

  deletion_protection = true
  tags                = { owner = "platform-team" }

  waf_enabled = true
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
