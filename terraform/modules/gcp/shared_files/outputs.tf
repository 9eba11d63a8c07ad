# The outputs every cloud's shared_files module gives (docs/contracts.md section 4), then Google's own.

output "type" {
  description = "The protocol hosts mount it with: nfs (NFSv3, the Basic tiers' protocol); null when not created."
  value       = var.create ? "nfs" : null
}

output "address" {
  description = "The instance's private address; null when not created."
  value       = try(google_filestore_instance.this[0].networks[0].ip_addresses[0], null)
}

output "export" {
  description = "The path to mount: /<share_name>; null when not created."
  value       = var.create ? "/${var.share_name}" : null
}

output "options" {
  description = "NFS mount options: NFSv3 over TCP (Filestore serves no UDP; naming tcp skips a 3-second probe, Filestore's \"Troubleshoot latency issues when mounting\"), hard mounts; null when not created."
  value       = var.create ? "nfsvers=3,tcp,hard,timeo=600,retrans=3" : null
}

output "instance_id" {
  description = "ID of the Filestore instance, null when not created."
  value       = try(google_filestore_instance.this[0].id, null)
}
