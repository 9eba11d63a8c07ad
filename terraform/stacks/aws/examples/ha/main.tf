# ha: three zones, several app and worker hosts; Multi-AZ RDS with a read replica, ElastiCache with failover,
# a three-instance DocumentDB cluster, a three-node OpenSearch domain; ALB with an ACM certificate validated in the
# Route 53 zone example.com, which also gets the domains' alias records.
module "openedx" {
  source = "../.."
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  environment       = "prod"
  region            = var.region
  zones             = ["us-west-2a", "us-west-2b", "us-west-2c"]
  profile           = "ha"
  os_image          = "debian-12"
  network_cidr      = "10.42.0.0/16"
  ssh_user          = "openedx"
  ssh_public_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGV4YW1wbGUta2V5LW5vdC1hLXJlYWwta2V5LTAwMDI ops@example"
  ssh_allowed_cidrs = []

  app_count        = 3
  app_machine_type = "m6i.2xlarge"
  app_disk_gb      = 80

  worker_count        = 2
  worker_machine_type = "m6i.xlarge"
  worker_disk_gb      = 60

  mysql_mode                  = "managed"
  mysql_version               = "8.4"
  mysql_machine_type          = "db.r6g.xlarge"
  mysql_disk_gb               = 200
  mysql_ha                    = true
  mysql_read_replica          = true
  mysql_backup_retention_days = 14

  mongodb_mode         = "managed"
  mongodb_version      = "7.0"
  mongodb_count        = 3
  mongodb_machine_type = "db.r6g.large"
  mongodb_disk_gb      = 100

  redis_mode         = "managed"
  redis_version      = "7.4"
  redis_machine_type = "cache.r6g.large"
  redis_ha           = true

  # broker: rabbitmq with rabbitmq.mode managed: Amazon MQ for RabbitMQ, a cluster of three nodes in ha.
  rabbitmq_mode         = "managed"
  rabbitmq_machine_type = "mq.m7g.large"

  search_engine       = "opensearch"
  search_mode         = "managed"
  search_version      = "2.19"
  search_count        = 3
  search_machine_type = "r6g.large.search"
  search_disk_gb      = 100

  # VMs per self-hosted data store, as the Python topology decides them: 0 for a managed store.
  data_host_counts = { mysql = 0, mongodb = 0, redis = 0, search = 0, rabbitmq = 0 }

  storage_bucket_prefix = "prod-openedx"
  storage_versioning    = true

  tls_mode      = "cloud"
  lms_domain    = "learn.example.com"
  studio_domain = "studio.example.com"
  mfe_domain    = "apps.example.com"
  dns_zone      = "example.com"

  # CloudFront in front of /static/ and /media/ on its own *.cloudfront.net name.
  cdn_enabled          = true
  tls_certificate_file = ""
  tls_private_key_file = ""

  mysql_admin_password    = var.mysql_admin_password
  redis_auth_token        = var.redis_auth_token
  rabbitmq_admin_password = var.rabbitmq_admin_password
  ssh_host_key            = var.ssh_host_key
  ssh_host_public_key     = var.ssh_host_public_key

  deletion_protection = true
  tags                = { owner = "platform-team", tier = "production" }
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
