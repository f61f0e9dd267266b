// Integration tests wait for real services (each wait has its own, shorter deadline).
jest.setTimeout(180_000);
