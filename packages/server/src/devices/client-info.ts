import sanitizeHtml from 'sanitize-html';

/** Admin-entered HTML reaches the public status page: only harmless markup survives. */
export function sanitizeClientInfo(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: ['b', 'i', 'em', 'strong', 'p', 'br', 'ul', 'ol', 'li', 'a', 'span', 'small'],
    allowedAttributes: { a: ['href'] },
    allowedSchemes: ['https', 'tel', 'mailto'],
  });
}
