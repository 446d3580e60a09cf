import { annotateContract, createNodeContract, deleteAnnotationContract, deleteNodeContract, handler, type BusHandler } from '@am/bus';
import { annotationFromJson, annotationToJson, parseInt64 } from '@am/model';
import { checkIncomingAnnotation } from '../metadata/annotation-content';
import type { MetadataService } from '../metadata/metadata-service';

/** Create/delete node, add/replace/delete annotation (applied roles and ACEs are annotations). */
export function commandHandlers(svc: MetadataService): BusHandler[] {
  return [
    handler(createNodeContract, async ({ credential, atLeast, path, directory }) => {
      const { change, revision } = await svc.write(credential, { kind: 'create-node', path, directory }, atLeast);
      return { revision, path: change.path };
    }),
    handler(deleteNodeContract, async ({ credential, atLeast, path, recursive }) => {
      const { change, revision } = await svc.write(credential, { kind: 'delete-node', path, recursive }, atLeast);
      return { revision, removed: change.kind === 'delete-node' ? [...change.visibleRemoved] : [] };
    }),
    handler(annotateContract, async ({ credential, atLeast, path, annotation, force }) => {
      const request = { kind: 'put-annotation' as const, path, annotation: annotationFromJson(annotation), force };
      checkIncomingAnnotation(request.annotation);
      const { change, revision } = await svc.write(credential, request, atLeast);
      return { revision, annotation: annotationToJson(change.kind === 'put-annotation' ? change.annotation : request.annotation) };
    }),
    handler(deleteAnnotationContract, async ({ credential, atLeast, path, tag, unique, expectedVersion }) => {
      const { revision } = await svc.write(credential, { kind: 'delete-annotation', path, tag, unique: parseInt64(unique, 'unique'), expectedVersion }, atLeast);
      return { revision };
    }),
  ];
}
