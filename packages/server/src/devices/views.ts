import type { Device } from '../orders/store.js';

// The JSON the operator's device routes answer (and `paystate devices list --json` prints):
// snake_case, like every answer of the API (docs/architecture.md section 4, JSON convention).

/** A device as `PUT` stored it; `client_info_by_status` holds the `client_info_<status>` texts by status. */
export function deviceView(device: Device) {
  return {
    id: device.id,
    merchant_id: device.merchantId,
    name: device.name,
    location: device.location,
    logo_url: device.logoUrl,
    client_info: device.clientInfo,
    client_info_by_status: device.clientInfoByStatus,
    created_at: device.createdAt,
    updated_at: device.updatedAt,
  };
}

export type DeviceView = ReturnType<typeof deviceView>;
