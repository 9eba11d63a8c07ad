# Inputs of this example that the provider block shares with the stack, and the secrets, which reach it as
# TF_VAR_* environment variables as they reach a rendered root module.

variable "region" {
  description = "Region the provider works in and the stack deploys to (one value, so zones and region agree)."
  type        = string
  default     = "us-west-2"
}

variable "mysql_admin_password" {
  description = "Managed MySQL administrator password; set TF_VAR_mysql_admin_password (never in a file)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "redis_auth_token" {
  description = "Managed Redis AUTH token; set TF_VAR_redis_auth_token (never in a file)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "rabbitmq_admin_password" {
  description = "Password of the Amazon MQ broker's one user; set TF_VAR_rabbitmq_admin_password (never in a file)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "ssh_host_key" {
  description = "The environment's ed25519 SSH host key (OpenSSH private format); set TF_VAR_ssh_host_key (never in a file)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "ssh_host_public_key" {
  description = "Public half of ssh_host_key; set TF_VAR_ssh_host_public_key beside it."
  type        = string
  default     = ""
  sensitive   = true
}
