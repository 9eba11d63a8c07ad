# Rendered by openedx-deploy from environments/demo.yml. Do not edit: change the environment file and run
# `openedx-deploy render -e demo` again.

terraform {
  required_version = ">= 1.0"

  backend "local" {}
}

provider "azurerm" {
  features {}

  # The environment file's `subscription_id`; empty leaves it to ARM_SUBSCRIPTION_ID or the Azure CLI.
  subscription_id = var.subscription_id == "" ? null : var.subscription_id

  # Blob containers through Entra ID: the storage account keeps shared keys off (storage_shared_key_enabled).
  storage_use_azuread = true
}

module "stack" {
  source = "./modules-src/stacks/azure"

  app_count                   = var.app_count
  app_disk_gb                 = var.app_disk_gb
  app_machine_type            = var.app_machine_type
  cdn_domain                  = var.cdn_domain
  cdn_enabled                 = var.cdn_enabled
  data_host_counts            = var.data_host_counts
  deletion_protection         = var.deletion_protection
  dns_zone                    = var.dns_zone
  environment                 = var.environment
  lms_domain                  = var.lms_domain
  meilisearch_domain          = var.meilisearch_domain
  mfe_domain                  = var.mfe_domain
  mongodb_count               = var.mongodb_count
  mongodb_disk_gb             = var.mongodb_disk_gb
  mongodb_machine_type        = var.mongodb_machine_type
  mongodb_mode                = var.mongodb_mode
  mongodb_version             = var.mongodb_version
  mysql_backup_retention_days = var.mysql_backup_retention_days
  mysql_disk_gb               = var.mysql_disk_gb
  mysql_ha                    = var.mysql_ha
  mysql_machine_type          = var.mysql_machine_type
  mysql_mode                  = var.mysql_mode
  mysql_read_replica          = var.mysql_read_replica
  mysql_version               = var.mysql_version
  network_cidr                = var.network_cidr
  notes_domain                = var.notes_domain
  os_image                    = var.os_image
  profile                     = var.profile
  rabbitmq_machine_type       = var.rabbitmq_machine_type
  rabbitmq_mode               = var.rabbitmq_mode
  redis_ha                    = var.redis_ha
  redis_machine_type          = var.redis_machine_type
  redis_mode                  = var.redis_mode
  redis_version               = var.redis_version
  region                      = var.region
  search_count                = var.search_count
  search_disk_gb              = var.search_disk_gb
  search_engine               = var.search_engine
  search_machine_type         = var.search_machine_type
  search_mode                 = var.search_mode
  search_version              = var.search_version
  ssh_allowed_cidrs           = var.ssh_allowed_cidrs
  ssh_public_key              = var.ssh_public_key
  ssh_user                    = var.ssh_user
  storage_bucket_prefix       = var.storage_bucket_prefix
  storage_versioning          = var.storage_versioning
  studio_domain               = var.studio_domain
  tags                        = var.tags
  tls_certificate_file        = var.tls_certificate_file
  tls_mode                    = var.tls_mode
  tls_private_key_file        = var.tls_private_key_file
  worker_count                = var.worker_count
  worker_disk_gb              = var.worker_disk_gb
  worker_machine_type         = var.worker_machine_type
  zones                       = var.zones
  mysql_admin_password        = var.mysql_admin_password
  redis_auth_token            = var.redis_auth_token
  rabbitmq_admin_password     = var.rabbitmq_admin_password
  ssh_host_key                = var.ssh_host_key
  ssh_host_public_key         = var.ssh_host_public_key
}

variable "app_count" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "app_disk_gb" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "app_machine_type" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "cdn_domain" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "cdn_enabled" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "data_host_counts" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "deletion_protection" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "dns_zone" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "environment" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "lms_domain" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "meilisearch_domain" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mfe_domain" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mongodb_count" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mongodb_disk_gb" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mongodb_machine_type" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mongodb_mode" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mongodb_version" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mysql_backup_retention_days" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mysql_disk_gb" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mysql_ha" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mysql_machine_type" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mysql_mode" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mysql_read_replica" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "mysql_version" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "network_cidr" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "notes_domain" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "os_image" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "profile" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "rabbitmq_machine_type" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "rabbitmq_mode" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "redis_ha" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "redis_machine_type" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "redis_mode" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "redis_version" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "region" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "search_count" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "search_disk_gb" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "search_engine" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "search_machine_type" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "search_mode" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "search_version" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "ssh_allowed_cidrs" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "ssh_public_key" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "ssh_user" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "storage_bucket_prefix" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "storage_versioning" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "studio_domain" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "tags" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "tls_certificate_file" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "tls_mode" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "tls_private_key_file" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "worker_count" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "worker_disk_gb" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "worker_machine_type" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "zones" {
  description = "Rendered from the environment file; see terraform.tfvars.json."
}

variable "subscription_id" {
  description = "Rendered from the environment file for the provider block; see terraform.tfvars.json."
  type        = string
  default     = ""
}

variable "mysql_admin_password" {
  description = "Secret, passed as TF_VAR_mysql_admin_password at run time from the environment's vault; never in a file."
  type        = string
  sensitive   = true
  default     = ""
}

variable "redis_auth_token" {
  description = "Secret, passed as TF_VAR_redis_auth_token at run time from the environment's vault; never in a file."
  type        = string
  sensitive   = true
  default     = ""
}

variable "rabbitmq_admin_password" {
  description = "Secret, passed as TF_VAR_rabbitmq_admin_password at run time from the environment's vault; never in a file."
  type        = string
  sensitive   = true
  default     = ""
}

variable "ssh_host_key" {
  description = "Secret, passed as TF_VAR_ssh_host_key at run time from the environment's vault; never in a file."
  type        = string
  sensitive   = true
  default     = ""
}

variable "ssh_host_public_key" {
  description = "Secret, passed as TF_VAR_ssh_host_public_key at run time from the environment's vault; never in a file."
  type        = string
  sensitive   = true
  default     = ""
}

output "host_groups" {
  value = module.stack.host_groups
}

output "endpoints" {
  value = module.stack.endpoints
}

output "buckets" {
  value = module.stack.buckets
}

output "load_balancer" {
  value = module.stack.load_balancer
}

output "dns_records" {
  value = module.stack.dns_records
}

output "cdn" {
  value = module.stack.cdn
}

output "storage_identity" {
  value = module.stack.storage_identity
}

output "ssh_user" {
  value = module.stack.ssh_user
}

output "bastion" {
  value = module.stack.bastion
}

output "redis_credential" {
  value = module.stack.redis_credential
  # A secret: `terraform output -json` shows it; the CLI keeps its copy encrypted.
  sensitive = true
}

output "shared_files" {
  value = module.stack.shared_files
}
