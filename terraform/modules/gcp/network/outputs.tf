output "network_id" {
  description = "ID of the VPC network."
  value       = google_compute_network.this.id
}

output "network_self_link" {
  description = "Self link of the VPC network."
  value       = google_compute_network.this.self_link
}

output "network_name" {
  description = "Name of the VPC network."
  value       = google_compute_network.this.name
}

output "subnet_ids" {
  description = "Subnet IDs by tier: app, worker, data."
  value       = { for k, s in google_compute_subnetwork.this : k => s.id }
}

output "subnet_cidrs" {
  description = "Subnet CIDR blocks by tier: app, worker, data."
  value       = local.subnets
}

output "host_tags" {
  description = "Network tag per host role (app, worker, mysql, mongodb, redis, search, bastion) that the firewall rules select on."
  value       = local.tags
}

output "private_service_access_connection" {
  description = "ID of the private service access peering; managed stores depend on it. Null when not created."
  value       = try(google_service_networking_connection.private_service_access[0].id, null)
}

output "private_service_access_range" {
  description = "Name of the reserved private service access range, read from the peering so that users of it wait for the peering. Null when not created."
  value       = try(google_service_networking_connection.private_service_access[0].reserved_peering_ranges[0], null)
}

output "filestore_range" {
  description = "The /29 outside the subnets that a Filestore instance (DIRECT_PEERING) takes its address from."
  value       = local.filestore_range
}
